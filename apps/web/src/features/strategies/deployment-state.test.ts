import type { DeploymentView, StrategyLogLineView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import {
  addInstrument,
  deploymentActions,
  instrumentsText,
  mergeLogLines,
  upsertDeployment,
} from './deployment-state';

function deployment(id: string, state: DeploymentView['state'], updatedAt: string): DeploymentView {
  return {
    id,
    strategyId: '00000000-0000-4000-8000-000000000001',
    strategyName: 'sma',
    version: 1,
    accountId: '00000000-0000-4000-8000-000000000002',
    instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
    interval: '1s',
    params: {},
    state,
    reason: null,
    metrics: {
      calls: 0,
      avgCallMicros: 0,
      maxCallMicros: 0,
      orders: 0,
      rejected: 0,
      fills: 0,
      traps: 0,
      droppedLogLines: 0,
    },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt,
  };
}

describe('upsertDeployment', () => {
  const a = deployment('a', 'running', '2025-01-01T00:00:01.000Z');

  it('adds an unknown deployment on top', () => {
    const b = deployment('b', 'starting', '2025-01-01T00:00:02.000Z');
    expect(upsertDeployment([a], b).map((d) => d.id)).toEqual(['b', 'a']);
  });

  it('replaces a known one with a newer update', () => {
    const paused = deployment('a', 'paused', '2025-01-01T00:00:05.000Z');
    expect(upsertDeployment([a], paused)[0]?.state).toBe('paused');
  });

  it('applies a metrics push even though its updatedAt did not move', () => {
    const counted = { ...a, metrics: { ...a.metrics, calls: 42 } };
    expect(upsertDeployment([a], counted)[0]?.metrics.calls).toBe(42);
  });
});

describe('deploymentActions', () => {
  it('offers pause only while running and resume only while paused', () => {
    expect(deploymentActions('running')).toMatchObject({ pause: true, resume: false, stop: true });
    expect(deploymentActions('paused')).toMatchObject({ pause: false, resume: true, stop: true });
  });

  it('offers no stop for a deployment that already ended, but a redeploy', () => {
    expect(deploymentActions('stopped')).toEqual({
      pause: false,
      resume: false,
      stop: false,
      redeploy: true,
    });
    expect(deploymentActions('failed')).toMatchObject({ stop: false, redeploy: true });
  });
});

describe('instruments', () => {
  it('adds an instrument once', () => {
    const one = addInstrument([], { venue: 'binance', symbol: 'BTC-USDT' });
    const again = addInstrument(one, { venue: 'binance', symbol: 'BTC-USDT' });
    const two = addInstrument(again, { venue: 'okx', symbol: 'BTC-USDT' });
    expect(instrumentsText(two)).toBe('binance:BTC-USDT, okx:BTC-USDT');
  });
});

describe('mergeLogLines', () => {
  const line = (time: number, message: string): StrategyLogLineView => ({ time, level: 'info', message });

  it('appends live lines without repeating those already in the history', () => {
    const merged = mergeLogLines([line(1, 'a'), line(2, 'b')], [line(2, 'b'), line(3, 'c')]);
    expect(merged.map((l) => l.message)).toEqual(['a', 'b', 'c']);
  });

  it('gives identical lines distinct keys', () => {
    const merged = mergeLogLines([line(1, 'tick'), line(1, 'tick')], [line(2, 'tick')]);
    expect(new Set(merged.map((l) => l.key)).size).toBe(3);
  });

  it('keeps only the newest lines', () => {
    const live = Array.from({ length: 10 }, (_, i) => line(i, `m${i}`));
    expect(mergeLogLines([], live, 3).map((l) => l.message)).toEqual(['m7', 'm8', 'm9']);
  });
});
