import type { AlertFiringView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { badgeText, markedRead, mergeFirings, unreadCount } from './notifications';

const firing = (id: string, at: number, readAt: number | null = null): AlertFiringView => ({
  id,
  alertId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  alertName: 'a',
  venue: 'binance',
  symbol: 'BTC-USDT',
  source: 'trade',
  at,
  price: '1',
  interval: null,
  values: {},
  event: null,
  message: 'm',
  readAt,
});

describe('the notification centre', () => {
  it('keeps each firing once, newest first, bounded', () => {
    const page = [firing('b', 2), firing('a', 1)];
    const merged = mergeFirings(page, [firing('c', 3), firing('b', 2)], 2);
    expect(merged.map((f) => f.id)).toEqual(['c', 'b']);
  });

  it('does not turn a firing read here back to unread when an older page arrives', () => {
    const read = markedRead([firing('a', 1), firing('b', 2)], new Set(['a']), 10);
    expect(unreadCount(read)).toBe(1);
    const merged = mergeFirings(read, [firing('a', 1)]);
    expect(unreadCount(merged)).toBe(1);
    expect(unreadCount(markedRead(merged, 'all', 11))).toBe(0);
  });

  it('shows the count on the badge, capped, and no badge at zero', () => {
    expect(badgeText(0)).toBeNull();
    expect(badgeText(3)).toBe('3');
    expect(badgeText(120)).toBe('99+');
  });
});
