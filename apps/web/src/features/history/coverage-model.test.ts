import type { BackfillJobView, CoverageView } from '@qt/api';
import { describe, expect, it } from 'vitest';
import { applyProgress, coverageFrom, coveredPercent, formatSpan, settled, timeline } from './coverage-model';

const MIN = 60_000;
const DAY = 86_400_000;

describe('coverageFrom', () => {
  const now = Date.UTC(2026, 0, 10, 12, 30, 15);

  it('goes back the days asked, to the minute', () => {
    expect(coverageFrom(now, 7, 90)).toBe(Date.UTC(2026, 0, 3, 12, 30));
  });

  it('stays a few minutes inside the tier depth at its edge (and never beyond it)', () => {
    const from = coverageFrom(now, 90, 90);
    expect(from).toBeGreaterThan(now - 90 * DAY);
    expect(from).toBeLessThan(now - 90 * DAY + 10 * MIN);
    expect(coverageFrom(now, 365, 90)).toBe(from);
  });
});

const coverage: CoverageView = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  interval: '1m',
  fromMs: 0,
  toMs: 100 * MIN,
  stored: [
    { fromMs: 0, toMs: 40 * MIN, candles: 40 },
    { fromMs: 50 * MIN, toMs: 100 * MIN, candles: 50 },
  ],
  missing: [{ fromMs: 40 * MIN, toMs: 50 * MIN }],
  storedCandles: 90,
  expectedCandles: 100,
  truncated: false,
};

describe('timeline', () => {
  it('puts stored runs and gaps in time order on the window', () => {
    expect(timeline(coverage).map((s) => [s.kind, s.left, s.width])).toEqual([
      ['stored', 0, 40],
      ['missing', 40, 10],
      ['stored', 50, 50],
    ]);
  });
});

describe('the candle still forming at the window end', () => {
  const forming: CoverageView = {
    ...coverage,
    toMs: 100 * MIN + 20_000,
    missing: [...coverage.missing, { fromMs: 100 * MIN, toMs: 100 * MIN + 20_000 }],
    expectedCandles: 101,
  };

  it('is drawn as open, not as a gap', () => {
    expect(timeline(forming).map((s) => s.kind)).toEqual(['stored', 'missing', 'stored', 'open']);
  });

  it('is not counted as a gap nor as expected', () => {
    expect(settled(forming)).toEqual({ gaps: [{ fromMs: 40 * MIN, toMs: 50 * MIN }], expected: 100 });
  });

  it('a longer hole at the end is a gap', () => {
    const hole = { ...forming, missing: [{ fromMs: 90 * MIN, toMs: 100 * MIN + 20_000 }] };
    expect(settled(hole).gaps).toHaveLength(1);
    expect(timeline(hole).at(-1)?.kind).toBe('missing');
  });
});

describe('coveredPercent', () => {
  it('floors, so a range with one candle missing is never "100%"', () => {
    expect(coveredPercent(coverage)).toBe(90);
    expect(coveredPercent({ storedCandles: 9_999, expectedCandles: 10_000 })).toBe(99);
    expect(coveredPercent({ storedCandles: 10_000, expectedCandles: 10_000 })).toBe(100);
    expect(coveredPercent({ storedCandles: 0, expectedCandles: 0 })).toBe(0);
  });
});

describe('formatSpan', () => {
  it('reads as days, hours and minutes', () => {
    expect(formatSpan(45 * MIN)).toBe('45m');
    expect(formatSpan(125 * MIN)).toBe('2h 5m');
    expect(formatSpan(3 * DAY + 4 * 60 * MIN)).toBe('3d 4h');
    expect(formatSpan(2 * DAY)).toBe('2d');
  });
});

// Asserted rather than annotated: the fixture carries the job fields this model does not read.
const job = (over: Partial<BackfillJobView> = {}): BackfillJobView =>
  ({
    id: 'j1',
    kind: 'candles',
    completeFromMs: null,
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    fromMs: 0,
    toMs: 100 * MIN,
    cursorMs: 0,
    status: 'queued',
    progressBp: 0,
    candlesWritten: 0,
    requests: 0,
    throttled: 0,
    error: null,
    createdAt: 0,
    finishedAt: null,
    ...over,
  }) as BackfillJobView;

describe('applyProgress', () => {
  const event = {
    jobId: 'j1',
    venue: 'binance',
    symbol: 'BTC-USDT',
    kind: 'candles' as const,
    status: 'running' as const,
    progressBp: 2_500,
    cursorMs: 25 * MIN,
    candlesWritten: 25,
    error: null,
  };

  it('moves the job it names', () => {
    const out = applyProgress([job(), job({ id: 'j2' })], event);
    expect(out.known).toBe(true);
    expect(out.jobs[0]).toMatchObject({ status: 'running', progressBp: 2_500, candlesWritten: 25 });
    expect(out.jobs[1]).toMatchObject({ status: 'queued', progressBp: 0 });
  });

  it('never moves progress back for a late event', () => {
    const out = applyProgress([job({ status: 'running', progressBp: 5_000 })], event);
    expect(out.jobs[0]?.progressBp).toBe(5_000);
  });

  it('reports a job it does not hold', () => {
    expect(applyProgress([job({ id: 'other' })], event).known).toBe(false);
  });
});
