import { AppError, type KnownVenue, type Trade } from '@qt/shared';
import type { RestBudget } from './rest-budget.ts';

/** Inclusive venue trade-id range. */
export interface IdRange {
  readonly fromId: number;
  readonly toId: number;
}

export interface RangeFetchResult {
  /** The trades the venue returned inside the range, ascending by id, each id once. */
  trades: Trade[];
  /** Parts of the range the venue did not return (older than its history, or ids that never existed). */
  missing: IdRange[];
  /** HTTP requests made, and how many of them the venue refused for its rate limit (429/418/403). */
  requests: number;
  throttled: number;
}

/**
 * A venue's REST trade history, used to repair feed gaps. `byId` is false where the venue offers no
 * history by trade id (Bybit: the newest trades only), so only a gap that is still among the newest can
 * be filled there.
 */
export interface TradeHistorySource {
  readonly venue: KnownVenue;
  readonly byId: boolean;
  /**
   * Why `byId` is false when the reason is not the venue itself: `aggregate-ids` when the live feed keys
   * its trades by aggregate id (Binance `aggTrade`) while the venue's history is by trade id, so a repair
   * would store the same trades a second time under ids of another id space.
   */
  readonly notById?: 'aggregate-ids';
  fetchRange(symbol: string, range: IdRange, signal?: AbortSignal): Promise<RangeFetchResult>;
}

export interface RestHistoryOptions {
  /** REST bases in the order to try them (a network error moves to the next). */
  restEndpoints: readonly string[];
  /** A `RestBudget`, or one lane of the venue's shared budget (`VenueRestBudget.lane`). */
  budget: Pick<RestBudget, 'take' | 'observeUsed' | 'blockFor'>;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** A rate-limit refusal whose wait is longer than this fails the fetch (`RATE_LIMITED`); default 5 min. */
  maxWaitMs?: number;
  /** Refusals in a row before giving up (`RATE_LIMITED`); default 8. */
  maxThrottles?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Header name of the venue's own weight count, if it sends one. */
export interface RestCall {
  url: string;
  weight: number;
  usedWeightHeader?: string;
}

/** Counters shared by the calls of one range fetch. */
export interface CallCounters {
  requests: number;
  throttled: number;
}

/**
 * One GET within the budget: waits its turn, records the venue's weight header, and on a rate-limit
 * refusal (429, 418 ban, Bybit's 403) closes the budget for `Retry-After` (or an exponential backoff when
 * the venue gives none) and tries again. Network errors move to the next REST base.
 */
export async function getJson(
  opts: RestHistoryOptions,
  path: string,
  call: Omit<RestCall, 'url'>,
  counters: CallCounters,
  signal?: AbortSignal,
): Promise<unknown> {
  const doFetch = opts.fetch ?? fetch;
  const maxWaitMs = opts.maxWaitMs ?? 300_000;
  const maxThrottles = opts.maxThrottles ?? 8;
  let throttles = 0;
  let base = 0;
  const failures: string[] = [];
  for (;;) {
    await opts.budget.take(call.weight, signal);
    const url = `${opts.restEndpoints[base] ?? ''}${path}`;
    let res: Response;
    try {
      counters.requests++;
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
      res = await doFetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      signal?.throwIfAborted();
      failures.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
      base++;
      if (base >= opts.restEndpoints.length)
        throw new AppError('SERVICE_UNAVAILABLE', 'No REST endpoint of the venue answered.', { failures });
      continue;
    }
    if (call.usedWeightHeader) {
      const used = Number(res.headers.get(call.usedWeightHeader));
      if (res.headers.has(call.usedWeightHeader)) opts.budget.observeUsed(used);
    }
    if (res.status === 429 || res.status === 418 || res.status === 403) {
      counters.throttled++;
      throttles++;
      await res.body?.cancel();
      const retryAfter = Number(res.headers.get('retry-after'));
      const waitMs =
        Number.isFinite(retryAfter) && retryAfter > 0
          ? retryAfter * 1000
          : Math.min(60_000, 1_000 * 2 ** Math.min(throttles - 1, 6));
      opts.budget.blockFor(waitMs);
      if (waitMs > maxWaitMs || throttles > maxThrottles) {
        throw new AppError(
          'RATE_LIMITED',
          `The venue refused REST requests (HTTP ${res.status}) for longer than the repair may wait.`,
          { status: res.status, retryAfterMs: waitMs, url },
        );
      }
      continue;
    }
    throttles = 0;
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new AppError('SERVICE_UNAVAILABLE', `The venue answered HTTP ${res.status}.`, {
        url,
        body: text.slice(0, 200),
      });
    }
    try {
      return await res.json();
    } catch {
      throw new AppError('SERVICE_UNAVAILABLE', 'The venue answered with malformed JSON.', { url });
    }
  }
}

/** The parts of [fromId, toId] not covered by `ids` (sorted ascending, unique). */
export function uncovered(range: IdRange, ids: readonly number[]): IdRange[] {
  const out: IdRange[] = [];
  let next = range.fromId;
  for (const id of ids) {
    if (id < next) continue;
    if (id > range.toId) break;
    if (id > next) out.push({ fromId: next, toId: id - 1 });
    next = id + 1;
  }
  if (next <= range.toId) out.push({ fromId: next, toId: range.toId });
  return out;
}
