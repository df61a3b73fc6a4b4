import { readFile } from 'node:fs/promises';
import {
  ENV_IMPORTS,
  HOST_IMPORTS,
  OPTIONAL_EXPORTS,
  REQUIRED_EXPORTS,
  SCRATCH_MIN_BYTES,
} from '@qt/strategy-runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileStrategy } from '../src/index.ts';
import { readModuleShape } from '../src/wasm-shape.ts';
import { encodeInitRecord, TestHost, type TestInstrument } from './lib/test-host.ts';

const instruments: TestInstrument[] = [
  { name: 'binance:BTCUSDT', tickSize: 0.01, lotSize: 0.00001 },
  { name: 'okx:ÉTHUSDT', tickSize: 0.5, lotSize: 0.25 },
];

let probe: Uint8Array;

async function started(params: Record<string, number> = { fast: 12, größe: 2.5 }): Promise<TestHost> {
  const host = await new TestHost().instantiate(probe);
  expect(host.init(params, instruments)).toBe(0);
  return host;
}

const messages = (host: TestHost) => host.logs.map((l) => l.message);

describe('the SDK inside a module', () => {
  beforeAll(async () => {
    probe = await compileStrategy(
      await readFile(new URL('./fixtures/probe-strategy.as', import.meta.url), 'utf8'),
    );
  }, 180_000);

  it('imports every host function with the ABI signature, and only env.abort besides', () => {
    const shape = readModuleShape(probe);
    const expected = new Map<string, string>([
      ...Object.entries(HOST_IMPORTS).map(([k, v]): [string, string] => [`qt.${k}`, v]),
      ['env.abort', ENV_IMPORTS.abort],
    ]);
    expect(new Map([...shape.importedFunctions].sort())).toEqual(new Map([...expected].sort()));
  });

  it('exports every ABI function with its signature when built with exports-with-trades', () => {
    const shape = readModuleShape(probe);
    const { memory: _memory, ...functions } = REQUIRED_EXPORTS;
    const expected = new Map<string, string>(Object.entries({ ...functions, ...OPTIONAL_EXPORTS }));
    expect(new Map([...shape.exportedFunctions].sort())).toEqual(new Map([...expected].sort()));
  });

  it('reports ABI version 1 and a scratch buffer of at least SCRATCH_MIN_BYTES inside memory', async () => {
    const host = await new TestHost().instantiate(probe);
    expect(host.module.qt_abi_version()).toBe(1);
    const at = host.module.qt_scratch();
    expect(at).toBeGreaterThan(0);
    expect(at + SCRATCH_MIN_BYTES).toBeLessThanOrEqual(host.module.memory.buffer.byteLength);
  });

  it('parses params and instruments from the init record, UTF-8 names included', async () => {
    const host = await started();
    expect(messages(host)).toEqual([
      'param fast=12.0',
      'param größe=2.5',
      'fast=12.0 missing=7.5 int=12 has=yes hasMissing=no',
      'instrument 0 binance:BTCUSDT tick=0.01 lot=0.00001',
      'instrument 1 okx:ÉTHUSDT tick=0.5 lot=0.25',
      'index 1 -1',
      'floor 1.25',
    ]);
    expect(host.logs.map((l) => l.level)).toEqual([1, 1, 1, 1, 1, 0, 2]);
  });

  it('returns what onInit returns from qt_init', async () => {
    const host = await new TestHost().instantiate(probe);
    expect(host.init({ initResult: 5 }, instruments)).toBe(5);
  });

  it('refuses a truncated init record with code 2 and says where it stopped', async () => {
    const host = await new TestHost().instantiate(probe);
    const record = encodeInitRecord({ fast: 12 }, instruments);
    expect(host.initWithRecord(record.subarray(0, record.length - 3), 2)).toBe(2);
    // The last field (the second instrument's f64 lot size) starts 8 bytes before the end of the full record.
    const message = `init record is truncated: the field at byte ${record.length - 8} does not fit in ${record.length - 3} bytes`;
    expect(host.logs).toEqual([{ level: 3, message }]);
  });

  it('refuses an init record longer than the scratch buffer', async () => {
    const host = await new TestHost().instantiate(probe);
    expect(host.module.qt_init(SCRATCH_MIN_BYTES + 1)).toBe(2);
    expect(host.logs[0]?.message).toMatch(/outside 8\.\.65536/);
  });

  it('aborts with a message when the host refuses an indicator', async () => {
    const host = await new TestHost().instantiate(probe);
    expect(() => host.init({ badIndicator: 1 }, instruments)).toThrow(
      /ind_create\(kind 1\) failed with host error -5/,
    );
  });

  it('passes candles through and places, cancels and asks what the strategy asked for', async () => {
    const host = await started();
    host.logs.length = 0;
    host.positions.set(1, 3);
    host.freeBalances.set('1:0', 4.5);
    host.freeBalances.set('1:1', 1234.5);
    host.candle(1, 0, { openTime: 1_700_000_000_000, open: 100, high: 102, low: 99, close: 101, volume: 7 });
    const orders = host.orders.map(({ candle: _c, ...o }) => o);
    expect(orders).toEqual([
      {
        handle: 1,
        instrument: 1,
        side: 0,
        type: 1,
        quantity: 1.5,
        price: 99.5,
        stopPrice: 0,
        timeInForce: 0,
        postOnly: 0,
      },
      {
        handle: 2,
        instrument: 1,
        side: 1,
        type: 1,
        quantity: 2,
        price: 101,
        stopPrice: 0,
        timeInForce: 1,
        postOnly: 1,
      },
      {
        handle: 3,
        instrument: 1,
        side: 1,
        type: 2,
        quantity: 1,
        price: 0,
        stopPrice: 90,
        timeInForce: 0,
        postOnly: 0,
      },
      {
        handle: 4,
        instrument: 1,
        side: 0,
        type: 3,
        quantity: 1,
        price: 111,
        stopPrice: 110,
        timeInForce: 2,
        postOnly: 0,
      },
      {
        handle: 5,
        instrument: 1,
        side: 0,
        type: 0,
        quantity: 0.1,
        price: 0,
        stopPrice: 0,
        timeInForce: 1,
        postOnly: 0,
      },
      {
        handle: 6,
        instrument: 1,
        side: 1,
        type: 0,
        quantity: 0.2,
        price: 0,
        stopPrice: 0,
        timeInForce: 1,
        postOnly: 0,
      },
    ]);
    expect(host.cancels).toEqual([1, 9999]);
    expect(host.cancelAlls).toEqual([-1, 1]);
    expect(host.timers).toEqual([{ delayMs: 5000, timerId: 42 }]);
    expect(messages(host)).toEqual([
      'candle 1 60 1700000000000.0 100.0 102.0 99.0 101.0 7.0 closes 1700000060000.0',
      'rsi NaN NaN',
      'cancel 0 -4 all 0 0',
      'account 2.9 4.5 1234.5 now 1700000060000.0',
      'timer 0',
      'bad instrument -1',
    ]);
  });

  it('dispatches trades, fills, order updates and timers to the strategy', async () => {
    const host = await started();
    host.logs.length = 0;
    const m = host.module as unknown as Record<string, (...args: number[]) => void>;
    m.qt_on_trade?.(1, 1_700_000_001_000, 101.5, 0.25, 1);
    m.qt_on_fill?.(7, 1, 0, 100.5, 0.5, 0.05, 1_700_000_002_000);
    m.qt_on_order?.(7, 4, 12);
    m.qt_on_timer?.(42, 1_700_000_003_000);
    expect(messages(host)).toEqual([
      'trade 1 1700000001000.0 101.5 0.25 sell',
      'fill 7 1 buy 100.5 0.5 0.05 1700000002000.0',
      'order 7 4 12 rejected',
      'timer fired 42 1700000003000.0',
    ]);
  });
});

describe('a module that never registers a strategy', () => {
  it('refuses to start with code 3 and says what is missing', async () => {
    const binary = await compileStrategy('export * from "@qt/strategy-sdk/exports";\n');
    const host = await new TestHost().instantiate(binary);
    expect(host.init({}, instruments)).toBe(3);
    expect(host.logs[0]?.message).toMatch(/no strategy registered/);
    expect(readModuleShape(binary).exportedFunctions.has('qt_on_trade')).toBe(false);
  }, 180_000);
});
