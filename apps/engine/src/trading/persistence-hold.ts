import { performance } from 'node:perf_hooks';
import { AppError } from '@qt/shared';
import type { RestoreOrderInput } from '@qt/trading';
import { isTransientDbError } from './db-errors.ts';
import type { TradingState } from './trading-state.ts';

/**
 * Bounds of the retry buffer that keeps an account's changes while the database cannot store them.
 * An applied matcher event (a fill, a cancel, an expiry) cannot be taken back, so it is never dropped:
 * it waits here, in order, and is retried until it commits. Memory is applied only after each commit,
 * so memory never runs ahead of the database.
 */
export const HOLD_LIMITS = {
  /**
   * Buffered changes of one held account. At this many, the account's resting orders and stops leave
   * the simulated book (`detachAccount`), so the market cannot add more; they go back when the buffer
   * has drained (their queue position restarts, as after a restart).
   */
  perAccount: 10_000,
  /** Buffered changes over all held accounts: at this many, each account that adds one is detached too. */
  total: 100_000,
  /** Backoff between attempts: doubles from the first delay up to the cap. */
  firstRetryMs: 200,
  maxRetryMs: 5_000,
} as const;

/** A change that waits for the database: `run` stores it, then applies it in memory. */
export interface HeldChange {
  /** For logs: the event type or what is resolved. */
  what: string;
  orderId: string | null;
  /**
   * Safe to run again after a failure whose outcome is unknown (the statement may have committed and
   * only the answer been lost): every write is keyed on a deterministic id and checked before memory moves.
   */
  run(): Promise<void>;
}

interface AccountHold {
  readonly changes: HeldChange[];
  /** Index of the first change not yet stored (the array is compacted as it drains). */
  head: number;
  attempts: number;
  /** performance.now() of the next attempt, for the retry-after hint. */
  nextRetryAt: number;
  timer: NodeJS.Timeout | null;
  detached: RestoreOrderInput[] | null;
}

export interface RetryBufferLimits {
  perAccount: number;
  total: number;
}

/** Held accounts and their buffered changes (one per trading state). */
export class PersistenceHolds {
  readonly accounts = new Map<string, AccountHold>();
  readonly limits: RetryBufferLimits;
  /** Buffered changes over all accounts. */
  buffered = 0;
  /** Counters since start (metrics, tests). */
  readonly stats = { held: 0, released: 0, detached: 0, retries: 0, failed: 0 };
  /** Set at shutdown: no more retries are scheduled. */
  closed = false;

  constructor(limits: Partial<RetryBufferLimits> = {}) {
    this.limits = {
      perAccount: limits.perAccount ?? HOLD_LIMITS.perAccount,
      total: limits.total ?? HOLD_LIMITS.total,
    };
  }
}

export interface HoldStatus {
  accounts: number;
  buffered: number;
  held: number;
  released: number;
  detached: number;
  retries: number;
  /** Held changes given up because their failure was not transient (a bug, a refused statement). */
  failed: number;
}

export function holdStatus(s: TradingState): HoldStatus {
  return { accounts: s.holds.accounts.size, buffered: s.holds.buffered, ...s.holds.stats };
}

export function isHeld(s: TradingState, accountId: string): boolean {
  return s.holds.accounts.has(accountId);
}

/** SERVICE_UNAVAILABLE with a retry-after hint (seconds) in `details.retryAfterSeconds`. */
export function unavailable(
  s: TradingState,
  accountId: string,
  message: string,
  details: Record<string, unknown> = {},
): AppError {
  const h = s.holds.accounts.get(accountId);
  const waitMs = h ? h.nextRetryAt - performance.now() : HOLD_LIMITS.firstRetryMs;
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AppError('SERVICE_UNAVAILABLE', `${message} Try again in ${retryAfterSeconds} s.`, {
    ...details,
    reason: 'DATABASE_UNAVAILABLE',
    retryAfterSeconds,
  });
}

/** Refuses a new call on a held account (its earlier changes are not stored yet). */
export function refuseIfHeld(s: TradingState, accountId: string): void {
  if (!isHeld(s, accountId)) return;
  throw unavailable(
    s,
    accountId,
    "The database is unavailable and this account's latest changes are waiting to be stored; nothing new is accepted on it until they are.",
    { accountId },
  );
}

/**
 * Puts `changes` (in order) behind whatever the account already holds and retries them until they
 * commit. Call on the account's queue. Later events of the account go behind them (see `applyOrHold`),
 * and new calls are refused (`refuseIfHeld`) until the buffer has drained.
 */
export function hold(s: TradingState, accountId: string, changes: HeldChange[], cause: unknown): void {
  if (changes.length === 0) return;
  let h = s.holds.accounts.get(accountId);
  if (!h) {
    h = { changes: [], head: 0, attempts: 0, nextRetryAt: 0, timer: null, detached: null };
    s.holds.accounts.set(accountId, h);
    s.holds.stats.held++;
    s.logger.warn(
      { accountId, err: errorText(cause), first: changes[0]?.what, orderId: changes[0]?.orderId },
      'could not store a change: account held, its changes are retried until the database is back',
    );
    schedule(s, accountId, h);
  }
  h.changes.push(...changes);
  s.holds.buffered += changes.length;
  const waiting = h.changes.length - h.head;
  if (waiting >= s.holds.limits.perAccount || s.holds.buffered >= s.holds.limits.total) {
    // Again at every change past the bound, not only the first time: orders that were in flight
    // (simulated latency) reach the book after a detach and would add events without limit.
    const off = s.matcher.detachAccount(accountId);
    if (h.detached === null || off.length > 0) {
      if (h.detached === null) s.holds.stats.detached++;
      h.detached = [...(h.detached ?? []), ...off];
      s.logger.warn(
        { accountId, orders: off.length, buffered: waiting },
        'retry buffer full: the account’s resting orders are off the book until its changes are stored',
      );
    }
  }
}

function schedule(s: TradingState, accountId: string, h: AccountHold): void {
  const delay = Math.min(HOLD_LIMITS.maxRetryMs, HOLD_LIMITS.firstRetryMs * 2 ** Math.min(h.attempts, 16));
  h.nextRetryAt = performance.now() + delay;
  if (s.holds.closed) return;
  // Not unref'd: a process should not exit quietly while changes of money wait to be stored
  // (shutdown stops the retries explicitly, see stopRetries).
  h.timer = setTimeout(() => {
    h.timer = null;
    void s.queue
      .run(accountId, () => drain(s, accountId, h))
      .catch((err) => s.logger.error({ accountId, err: errorText(err) }, 'retry of held changes failed'));
  }, delay);
}

/**
 * Stores the held changes in order; on a transient failure, waits (backoff) and goes on from there.
 * A change whose failure is not transient (a programming error, a statement the database refused for
 * its content) is given up, logged as an error and counted (`failed`): retrying it cannot succeed,
 * and holding the account on it would hold it for ever. Returns whether the account was released.
 */
async function drain(s: TradingState, accountId: string, h: AccountHold): Promise<boolean> {
  // A drain queued behind another one (a timer's and shutdown's last attempt) finds it done.
  if (s.holds.accounts.get(accountId) !== h) return true;
  while (h.head < h.changes.length) {
    const change = h.changes[h.head] as HeldChange;
    try {
      await change.run();
    } catch (err) {
      if (isTransientDbError(err)) {
        h.attempts++;
        s.holds.stats.retries++;
        // Every attempt of a long outage would flood the log: the first few, then every 20th.
        if (h.attempts <= 3 || h.attempts % 20 === 0) {
          s.logger.warn(
            {
              accountId,
              attempts: h.attempts,
              what: change.what,
              orderId: change.orderId,
              err: errorText(err),
            },
            'held change still cannot be stored; retrying',
          );
        }
        schedule(s, accountId, h);
        return false;
      }
      s.holds.stats.failed++;
      s.logger.error(
        { accountId, what: change.what, orderId: change.orderId, err: errorText(err) },
        'held change failed for good (not a database outage): given up; a restart rebuilds the account from the database',
      );
    }
    h.head++;
    h.attempts = 0;
    s.holds.buffered--;
    if (h.head >= 1024 && h.head * 2 >= h.changes.length) {
      h.changes.splice(0, h.head);
      h.head = 0;
    }
  }
  s.holds.accounts.delete(accountId);
  s.holds.stats.released++;
  for (const order of h.detached ?? []) {
    // Restores fail only when the instrument is gone; a restart ends such an order (recovery.ts).
    if (!s.matcher.restoreOrder(order)) {
      s.logger.error({ orderId: order.orderId }, 'could not put a detached order back on the book');
    }
  }
  s.logger.info({ accountId, detached: h.detached?.length ?? 0 }, 'held changes stored: account released');
  return true;
}

/**
 * Shutdown: stops the retry timers, then makes one last attempt to store every held account's changes
 * within `budgetMs` (the database may have come back since the last retry: its changes would otherwise
 * be thrown away for nothing), and reports what was still waiting. Those changes are not stored; a
 * restart rebuilds the accounts from what the database holds (their orders as last stored). Attempts
 * still running at the deadline are left to finish or time out on their own (the pool's timeouts).
 */
export async function stopRetries(s: TradingState, budgetMs: number): Promise<HoldStatus> {
  s.holds.closed = true;
  const attempts: Promise<unknown>[] = [];
  for (const [accountId, h] of s.holds.accounts) {
    if (h.timer) clearTimeout(h.timer);
    h.timer = null;
    attempts.push(s.queue.run(accountId, () => drain(s, accountId, h)).catch(() => false));
  }
  if (attempts.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(attempts),
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(0, budgetMs));
      }),
    ]);
    clearTimeout(timer);
  }
  const status = holdStatus(s);
  if (status.accounts > 0) {
    s.logger.error(
      { accounts: status.accounts, buffered: status.buffered },
      'shutting down with changes that could not be stored; a restart rebuilds these accounts from the database',
    );
  }
  return status;
}

function errorText(err: unknown): string | undefined {
  if (err === null || err === undefined) return undefined;
  return err instanceof Error ? err.message : String(err);
}
