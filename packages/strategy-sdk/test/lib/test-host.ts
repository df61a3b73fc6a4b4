// A minimal host for the `qt` imports, written from docs/strategy-abi.md, so the SDK and the examples are
// tested without the runtime package. Market orders fill at once at no cost, which is all the examples'
// position logic needs.

import type { TestCandle } from './candles.ts';
import { bandsOf } from './reference.ts';
import { wasm } from './wasm-api.ts';

export interface TestInstrument {
  name: string;
  tickSize: number;
  lotSize: number;
}

export interface PlacedOrder {
  /** Index of the candle being processed (or -1 outside qt_on_candle). */
  candle: number;
  handle: number;
  instrument: number;
  side: number;
  type: number;
  quantity: number;
  price: number;
  stopPrice: number;
  timeInForce: number;
  postOnly: number;
}

interface StrategyExports {
  memory: { buffer: ArrayBuffer };
  qt_abi_version(): number;
  qt_scratch(): number;
  qt_init(length: number): number;
  qt_on_candle(
    i: number,
    interval: number,
    t: number,
    o: number,
    h: number,
    l: number,
    c: number,
    v: number,
  ): void;
  qt_on_fill?(
    h: number,
    i: number,
    side: number,
    price: number,
    qty: number,
    fee: number,
    time: number,
  ): void;
  qt_on_order?(handle: number, status: number, reason: number): void;
  qt_on_timer?(id: number, time: number): void;
}

/** Writes the init record exactly as the ABI lays it out (little-endian, unaligned). */
export function encodeInitRecord(
  params: Readonly<Record<string, number>>,
  instruments: readonly TestInstrument[],
): Uint8Array {
  const utf8 = new TextEncoder();
  const parts: number[] = [];
  const view = new DataView(new ArrayBuffer(8));
  const u16 = (v: number) => {
    view.setUint16(0, v, true);
    parts.push(view.getUint8(0), view.getUint8(1));
  };
  const u32 = (v: number) => {
    view.setUint32(0, v, true);
    for (let i = 0; i < 4; i++) parts.push(view.getUint8(i));
  };
  const f64 = (v: number) => {
    view.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) parts.push(view.getUint8(i));
  };
  const text = (s: string) => {
    const bytes = utf8.encode(s);
    u16(bytes.length);
    parts.push(...bytes);
  };
  const entries = Object.entries(params);
  u32(entries.length);
  for (const [name, value] of entries) {
    text(name);
    f64(value);
  }
  u32(instruments.length);
  for (const inst of instruments) {
    text(inst.name);
    f64(inst.tickSize);
    f64(inst.lotSize);
  }
  return Uint8Array.from(parts);
}

interface NaiveIndicator {
  update(high: number, low: number, close: number): number;
  value(output: number): number;
}

class NaiveRsi implements NaiveIndicator {
  private last = Number.NaN;
  private changes = 0;
  private gain = 0;
  private loss = 0;
  private current = Number.NaN;
  constructor(private readonly period: number) {}
  update(_h: number, _l: number, close: number): number {
    if (!Number.isNaN(this.last)) {
      const change = close - this.last;
      const gain = Math.max(change, 0);
      const loss = change < 0 ? -change : 0;
      this.changes++;
      if (this.changes < this.period) {
        this.gain += gain;
        this.loss += loss;
      } else {
        if (this.changes === this.period) {
          this.gain = (this.gain + gain) / this.period;
          this.loss = (this.loss + loss) / this.period;
        } else {
          this.gain = (this.gain * (this.period - 1) + gain) / this.period;
          this.loss = (this.loss * (this.period - 1) + loss) / this.period;
        }
        this.current = this.loss === 0 ? 100 : 100 - 100 / (1 + this.gain / this.loss);
      }
    }
    this.last = close;
    return this.current;
  }
  value(): number {
    return this.current;
  }
}

class NaiveBands implements NaiveIndicator {
  private readonly window: number[] = [];
  private outputs = [Number.NaN, Number.NaN, Number.NaN];
  constructor(
    private readonly period: number,
    private readonly mult: number,
  ) {}
  update(_h: number, _l: number, close: number): number {
    this.window.push(close);
    if (this.window.length > this.period) this.window.shift();
    if (this.window.length === this.period) {
      const b = bandsOf(this.window, this.mult);
      this.outputs = [b.middle, b.upper, b.lower];
    }
    return this.outputs[0] ?? Number.NaN;
  }
  value(output: number): number {
    return this.outputs[output] ?? Number.NaN;
  }
}

export class TestHost {
  readonly orders: PlacedOrder[] = [];
  readonly cancels: number[] = [];
  readonly cancelAlls: number[] = [];
  readonly logs: { level: number; message: string }[] = [];
  readonly timers: { delayMs: number; timerId: number }[] = [];
  readonly indicatorsCreated: { kind: number; p1: number; p2: number; p3: number }[] = [];
  readonly positions = new Map<number, number>();
  readonly freeBalances = new Map<string, number>();
  clock = 1_700_000_000_000;
  private candleIndex = -1;
  private nextHandle = 1;
  private readonly indicators: NaiveIndicator[] = [];
  private instrumentCount = 0;
  private exports: StrategyExports | null = null;

  get module(): StrategyExports {
    if (!this.exports) throw new Error('instantiate first');
    return this.exports;
  }

  imports(): Record<string, Record<string, unknown>> {
    const validInstrument = (i: number) => i >= 0 && i < this.instrumentCount;
    return {
      env: {
        abort: (msg: number, file: number, line: number, col: number) => {
          throw new Error(`abort: ${this.readAsString(msg)} at ${this.readAsString(file)}:${line}:${col}`);
        },
        trace: () => {},
      },
      qt: {
        place_order: (
          instrument: number,
          side: number,
          type: number,
          quantity: number,
          price: number,
          stopPrice: number,
          timeInForce: number,
          postOnly: number,
        ) => {
          if (!validInstrument(instrument)) return -1;
          const handle = this.nextHandle++;
          this.orders.push({
            candle: this.candleIndex,
            handle,
            instrument,
            side,
            type,
            quantity,
            price,
            stopPrice,
            timeInForce,
            postOnly,
          });
          if (type === 0)
            this.positions.set(instrument, this.position(instrument) + (side === 0 ? quantity : -quantity));
          return handle;
        },
        cancel_order: (handle: number) => {
          this.cancels.push(handle);
          return handle > 0 && handle < this.nextHandle ? 0 : -4;
        },
        cancel_all: (instrument: number) => {
          this.cancelAlls.push(instrument);
          return instrument === -1 || validInstrument(instrument) ? 0 : -1;
        },
        position: (instrument: number) => this.position(instrument),
        free_balance: (instrument: number, which: number) =>
          this.freeBalances.get(`${instrument}:${which}`) ?? 0,
        now: () => this.clock,
        set_timer: (delayMs: number, timerId: number) => {
          this.timers.push({ delayMs, timerId });
          return 0;
        },
        log: (level: number, ptr: number, len: number) => {
          const bytes = new Uint8Array(this.module.memory.buffer, ptr, len);
          this.logs.push({ level, message: new TextDecoder().decode(bytes) });
        },
        ind_create: (kind: number, p1: number, p2: number, p3: number) => {
          this.indicatorsCreated.push({ kind, p1, p2, p3 });
          if (kind === 3) this.indicators.push(new NaiveRsi(p1));
          else if (kind === 5) this.indicators.push(new NaiveBands(p1, p2));
          else return -5;
          return this.indicators.length;
        },
        ind_update: (handle: number, high: number, low: number, close: number) => {
          const ind = this.indicators[handle - 1];
          return ind ? ind.update(high, low, close) : Number.NaN;
        },
        ind_value: (handle: number, output: number) =>
          this.indicators[handle - 1]?.value(output) ?? Number.NaN,
      },
    };
  }

  async instantiate(binary: Uint8Array): Promise<this> {
    const { instance } = await wasm.instantiate(binary, this.imports());
    this.exports = instance.exports as unknown as StrategyExports;
    return this;
  }

  position(instrument: number): number {
    return this.positions.get(instrument) ?? 0;
  }

  /** Writes the record at qt_scratch() and calls qt_init; returns its result. */
  init(params: Readonly<Record<string, number>>, instruments: readonly TestInstrument[]): number {
    return this.initWithRecord(encodeInitRecord(params, instruments), instruments.length);
  }

  initWithRecord(record: Uint8Array, instrumentCount: number): number {
    this.instrumentCount = instrumentCount;
    const at = this.module.qt_scratch();
    new Uint8Array(this.module.memory.buffer, at, record.length).set(record);
    return this.module.qt_init(record.length);
  }

  candle(instrument: number, index: number, c: TestCandle): void {
    this.candleIndex = index;
    this.clock = c.openTime + 60_000;
    this.module.qt_on_candle(instrument, 60, c.openTime, c.open, c.high, c.low, c.close, c.volume);
    this.candleIndex = -1;
  }

  /** AssemblyScript strings are UTF-16 with the byte length at ptr - 4. */
  private readAsString(ptr: number): string {
    if (!ptr) return '';
    const memory = this.module.memory.buffer;
    const bytes = new Uint32Array(memory, ptr - 4, 1)[0] ?? 0;
    return String.fromCharCode(...new Uint16Array(memory, ptr, bytes / 2));
  }
}
