import type { Depth } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { depthViewKind } from './depth-state';

const book = (status: Depth['status'], levels = status === 'synced'): Depth => ({
  venue: 'binance',
  symbol: 'BTC-USDT',
  status,
  bids: levels ? [{ price: '100', quantity: '1' }] : [],
  asks: levels ? [{ price: '101', quantity: '1' }] : [],
  at: 1,
  resyncs: 0,
});

describe('depthViewKind', () => {
  it('shows levels only for a synced book on an open connection', () => {
    expect(
      depthViewKind({ depth: book('synced'), loading: false, connection: 'pending', hadPush: true }),
    ).toBe('live');
  });

  it('never shows a stale or resyncing book as live', () => {
    const base = { loading: false, connection: 'pending' as const, hadPush: true };
    expect(depthViewKind({ ...base, depth: book('stale') })).toBe('stale');
    expect(depthViewKind({ ...base, depth: book('syncing') })).toBe('syncing');
  });

  it('hides the last levels once the push link dropped or failed', () => {
    const depth = book('synced');
    expect(depthViewKind({ depth, loading: false, connection: 'connecting', hadPush: true })).toBe(
      'reconnecting',
    );
    expect(depthViewKind({ depth, loading: false, connection: 'error', hadPush: false })).toBe(
      'reconnecting',
    );
  });

  it('shows the first fetched book while the push link is still opening', () => {
    expect(
      depthViewKind({ depth: book('synced'), loading: false, connection: 'connecting', hadPush: false }),
    ).toBe('live');
  });

  it('tells loading from no book at all', () => {
    expect(depthViewKind({ depth: null, loading: true, connection: 'connecting', hadPush: false })).toBe(
      'loading',
    );
    expect(depthViewKind({ depth: null, loading: false, connection: 'pending', hadPush: false })).toBe(
      'none',
    );
  });
});

describe('depthViewKind with order books switched off', () => {
  it('says so instead of reconnecting for ever', () => {
    expect(
      depthViewKind({ depth: null, loading: false, connection: 'error', hadPush: false, disabled: true }),
    ).toBe('off');
  });
});
