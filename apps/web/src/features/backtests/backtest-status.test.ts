import { describe, expect, it } from 'vitest';
import { backtestStatusLabel, ordinal } from './backtest-status';

describe('backtestStatusLabel', () => {
  it('shows a queued backtest with its place in line', () => {
    expect(backtestStatusLabel({ status: 'queued', progress: 0, queuePosition: 3 })).toBe(
      'queued, 3rd in line',
    );
    expect(backtestStatusLabel({ status: 'queued', progress: 0, queuePosition: 1 })).toBe(
      'queued, 1st in line',
    );
    expect(backtestStatusLabel({ status: 'queued', progress: 0, queuePosition: null })).toBe('queued');
  });

  it('shows progress while running and the final status after', () => {
    expect(backtestStatusLabel({ status: 'running', progress: 0.426, queuePosition: null })).toBe('42%');
    expect(backtestStatusLabel({ status: 'completed', progress: 1, queuePosition: null }, 'done')).toBe(
      'done',
    );
    expect(backtestStatusLabel({ status: 'failed', progress: 0.3, queuePosition: null })).toBe('failed');
  });

  it('writes English ordinals, teens included', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
      '111th',
    ]);
  });
});
