import type { OrderView } from '@qt/shared';

/**
 * The status as a trader reads it. A stop is `new` until its trigger trades and a triggered stop-limit
 * rests as `new` too: neither is "filled" nor resting at a price yet, so it is said as pending.
 */
export function statusText(o: Pick<OrderView, 'type' | 'status'>): string {
  const stop = o.type === 'stop_market' || o.type === 'stop_limit';
  if (stop && o.status === 'new') return 'pending (stop)';
  return o.status.replace('_', ' ');
}
