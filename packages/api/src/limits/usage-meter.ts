import { randomUUID } from 'node:crypto';
import type { Db } from '@qt/db';
import type { Clock } from '@qt/shared';
import type { ApiLogger } from '../context.ts';

/** What is metered per tenant per UTC day (the columns of `usage_daily`, storage rows aside). */
export interface UsageCounts {
  /** Weighted requests: the units the request budgets are counted in. */
  requests: number;
  orders: number;
  backtestCandles: number;
  strategyCpuMs: number;
  alertsFired: number;
}

export type UsageKind = keyof UsageCounts;

const KINDS: readonly UsageKind[] = ['requests', 'orders', 'backtestCandles', 'strategyCpuMs', 'alertsFired'];

const DAY_MS = 86_400_000;

const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_ROWS = 10_000;

/** One statement's rows with the id that makes its retry idempotent. */
interface FlushBatch {
  id: string;
  rows: [string, UsageCounts][];
}

const zero = (): UsageCounts => ({
  requests: 0,
  orders: 0,
  backtestCandles: 0,
  strategyCpuMs: 0,
  alertsFired: 0,
});

/** UTC day of `ms` as YYYY-MM-DD (the `usage_daily.day` of a count). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface UsageMeterOptions {
  db: Db;
  clock: Clock;
  logger: ApiLogger;
  /** How often counts are written. Default 5 s. */
  flushMs?: number;
  /** Rows (tenant, day) one flush writes per statement. Default 500. */
  batchRows?: number;
  /**
   * Distinct (tenant, day) counters held in memory at most. Past it, new tenants' counts are dropped
   * (counted in `dropped`) until the next flush empties the table: memory stays bounded even if the
   * database is down for a long time. Default 100 000.
   */
  maxPending?: number;
  /** How often storage rows are sampled, and how stale a tenant's sample may get. Default 10 min. */
  storageSampleMs?: number;
  /** Tenants whose storage rows one sample run counts at most. Default 200. */
  storageTenantsPerRun?: number;
}

/**
 * Usage per tenant per UTC day, counted in memory on the request path (a Map update, no I/O) and added to
 * `usage_daily` in batches (one multi-row upsert per `batchRows`) every `flushMs` and at shutdown. A flush
 * that fails keeps its counts and adds them to the next one: nothing is lost while the database is briefly
 * away, and the in-memory table is bounded by `maxPending`.
 */
export class UsageMeter {
  readonly #opts: Required<Omit<UsageMeterOptions, 'db' | 'clock' | 'logger'>> & UsageMeterOptions;
  /** `${tenantId}|${day}` -> counts not yet written. */
  #pending = new Map<string, UsageCounts>();
  #timer: NodeJS.Timeout | null = null;
  #day = '';
  #dayEnds = 0;
  #cumulative: {
    kind: UsageKind;
    read: () => Iterable<{ id: string; tenantId: string; totalMs: number }>;
    last: Map<string, number>;
  }[] = [];
  #flushing: Promise<void> | null = null;
  /** This meter's part of every flush id (`${instanceId}:${sequence}`). */
  readonly instanceId = randomUUID();
  #sequence = 0;
  /** Batches sent but not known to be stored (failed or answer lost), oldest first, same ids on retry. */
  #retry: FlushBatch[] = [];
  #prunedAt = Number.NEGATIVE_INFINITY;
  #storageSampledAt = Number.NEGATIVE_INFINITY;
  /** Tenant-days whose storage rows were sampled since start. */
  storageSamples = 0;
  /** Retried batches the database had already stored (their first answer was lost). */
  skippedFlushes = 0;
  /** Counts dropped because `maxPending` was reached. */
  dropped = 0;
  /** Rows written since start. */
  flushedRows = 0;
  flushFailures = 0;

  constructor(opts: UsageMeterOptions) {
    this.#opts = {
      flushMs: 5_000,
      batchRows: 500,
      maxPending: 100_000,
      storageSampleMs: 10 * 60_000,
      storageTenantsPerRun: 200,
      ...opts,
    };
  }

  get pending(): number {
    return this.#pending.size;
  }

  add(tenantId: string, kind: UsageKind, amount: number): void {
    if (!(amount > 0)) return;
    const now = this.#opts.clock.now();
    // The day string is rebuilt only when a UTC day ends (this runs on every call).
    if (now >= this.#dayEnds || now < this.#dayEnds - DAY_MS) {
      this.#day = utcDay(now);
      this.#dayEnds = now - (now % DAY_MS) + DAY_MS;
    }
    const key = `${tenantId}|${this.#day}`;
    let counts = this.#pending.get(key);
    if (!counts) {
      if (this.#pending.size >= this.#opts.maxPending) {
        this.dropped++;
        return;
      }
      counts = zero();
      this.#pending.set(key, counts);
    }
    counts[kind] += amount;
  }

  /** Counts of `tenantId` today not yet written (the usage API adds them to the stored row). */
  unflushed(tenantId: string, day: string): UsageCounts {
    return { ...(this.#pending.get(`${tenantId}|${day}`) ?? zero()) };
  }

  /**
   * A cumulative counter per source item (e.g. each running deployment's total call time), read at each
   * flush: the growth since the last reading is added to the item's tenant. An item seen for the first
   * time counts from zero (a deployment started since); items gone are forgotten (bounded by the items).
   */
  trackCumulative(
    kind: UsageKind,
    read: () => Iterable<{ id: string; tenantId: string; totalMs: number }>,
  ): void {
    this.#cumulative.push({ kind, read, last: new Map() });
  }

  #sample(): void {
    for (const c of this.#cumulative) {
      const seen = new Map<string, number>();
      try {
        for (const item of c.read()) {
          const before = c.last.get(item.id) ?? 0;
          if (item.totalMs > before) this.add(item.tenantId, c.kind, item.totalMs - before);
          seen.set(item.id, Math.max(before, item.totalMs));
        }
      } catch (err) {
        this.#opts.logger.warn(
          { err: err instanceof Error ? err.message : String(err), kind: c.kind },
          'usage sample failed',
        );
        continue;
      }
      c.last = seen;
    }
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.#opts.flushMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  /** Writes every pending count (one flush at a time; a caller during one waits for it, then runs its own). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#sample();
    this.#flushing = this.#run().finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
  }

  /** One pass of the meter's loop: counts, then the bounded housekeeping (each throttled on its own). */
  async #run(): Promise<void> {
    if (this.#pending.size > 0 || this.#retry.length > 0) await this.#write();
    await this.#prune();
    await this.#sampleStorage();
  }

  /**
   * Storage rows (orders, fills, ledger postings, strategies, backtests a tenant holds), sampled here
   * rather than when usage is read, so `usage.today` stays a cheap read. Once per `storageSampleMs`, for
   * at most `storageTenantsPerRun` tenants active today (a `usage_daily` row today) whose sample is older
   * than `storageSampleMs`, stalest first. Claimed with SKIP LOCKED in one statement, so engines sharing
   * the database split the work instead of repeating it.
   */
  async #sampleStorage(): Promise<void> {
    const now = this.#opts.clock.now();
    const every = this.#opts.storageSampleMs;
    if (now - this.#storageSampledAt < every && now >= this.#storageSampledAt) return;
    this.#storageSampledAt = now;
    try {
      const sampled = await this.#opts.db.$executeRaw`
        UPDATE usage_daily u SET
          storage_sampled_at = now(),
          storage_rows = (SELECT count(*) FROM orders WHERE tenant_id = u.tenant_id)
                       + (SELECT count(*) FROM fills WHERE tenant_id = u.tenant_id)
                       + (SELECT count(*) FROM ledger_postings WHERE tenant_id = u.tenant_id)
                       + (SELECT count(*) FROM strategies WHERE tenant_id = u.tenant_id)
                       + (SELECT count(*) FROM backtests WHERE tenant_id = u.tenant_id)
        FROM (
          SELECT tenant_id, day FROM usage_daily
          WHERE day = ${utcDay(now)}::date
            AND (storage_sampled_at IS NULL OR storage_sampled_at < now() - make_interval(secs => ${every / 1000}))
          ORDER BY storage_sampled_at NULLS FIRST
          LIMIT ${this.#opts.storageTenantsPerRun}
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE u.tenant_id = c.tenant_id AND u.day = c.day`;
      this.storageSamples += sampled;
    } catch (err) {
      this.#opts.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'storage rows sample failed; retried next run',
      );
    }
  }

  async #write(): Promise<void> {
    // Batches whose answer was lost go first, under their own ids: if one committed, the database skips
    // it. New batches are formed only once none is left, so at most one flush's worth is held for retry.
    while (this.#retry.length > 0) {
      const batch = this.#retry[0] as FlushBatch;
      if (!(await this.#send(batch))) return;
      this.#retry.shift();
    }
    const pending = this.#pending;
    this.#pending = new Map();
    // Whole units are written; the fractions (strategy CPU in fractions of a millisecond) stay pending
    // and add up over flushes, so small amounts are not rounded away on every flush for ever.
    const rows: [string, UsageCounts][] = [];
    for (const [key, counts] of pending) {
      const whole = { ...counts };
      const rest = { ...counts };
      let any = false;
      let fraction = false;
      for (const k of KINDS) {
        whole[k] = Math.floor(counts[k]);
        rest[k] = counts[k] - whole[k];
        if (whole[k] > 0) any = true;
        if (rest[k] > 0) fraction = true;
      }
      if (any) rows.push([key, whole]);
      if (fraction) this.#merge(key, rest);
    }
    for (let i = 0; i < rows.length; i += this.#opts.batchRows) {
      this.#retry.push({
        id: `${this.instanceId}:${++this.#sequence}`,
        rows: rows.slice(i, i + this.#opts.batchRows),
      });
    }
    while (this.#retry.length > 0) {
      const batch = this.#retry[0] as FlushBatch;
      if (!(await this.#send(batch))) return;
      this.#retry.shift();
    }
  }

  /** Sends one batch; false (logged, counted) when it failed and must be retried under the same id. */
  async #send(batch: FlushBatch): Promise<boolean> {
    try {
      const written = await this.#upsert(batch);
      if (written) this.flushedRows += batch.rows.length;
      else this.skippedFlushes++;
      return true;
    } catch (err) {
      this.flushFailures++;
      this.#opts.logger.warn(
        { err: err instanceof Error ? err.message : String(err), flush: batch.id, rows: batch.rows.length },
        'usage flush failed; retried under the same id at the next flush',
      );
      return false;
    }
  }

  #merge(key: string, counts: UsageCounts): void {
    const held = this.#pending.get(key);
    if (held) {
      for (const k of KINDS) held[k] += counts[k];
    } else if (this.#pending.size < this.#opts.maxPending) {
      this.#pending.set(key, counts);
    } else {
      this.dropped++;
    }
  }

  /**
   * Adds one batch to `usage_daily` and records its id in `usage_flushes`, in ONE statement (so in one
   * transaction): when the id is already there (an earlier try committed, its answer was lost), nothing
   * is added. Returns whether the counts were added now.
   */
  async #upsert(batch: FlushBatch): Promise<boolean> {
    const rows = batch.rows;
    // One statement for the batch: unnest of parallel arrays, added to what is stored (other engines add
    // their own counts to the same rows). Whole units only (see `#write`).
    const tenants: string[] = [];
    const days: string[] = [];
    const cols: Record<UsageKind, string[]> = {
      requests: [],
      orders: [],
      backtestCandles: [],
      strategyCpuMs: [],
      alertsFired: [],
    };
    for (const [key, counts] of rows) {
      const [tenantId, day] = key.split('|') as [string, string];
      tenants.push(tenantId);
      days.push(day);
      for (const k of KINDS) cols[k].push(String(counts[k]));
    }
    const [recorded] = await this.#opts.db.$queryRaw<{ recorded: boolean }[]>`
      WITH flush AS (
        INSERT INTO usage_flushes (id) VALUES (${batch.id}) ON CONFLICT (id) DO NOTHING RETURNING id
      ), added AS (
        INSERT INTO usage_daily AS u (tenant_id, day, requests, orders, backtest_candles, strategy_cpu_ms, alerts_fired, updated_at)
        SELECT t, d, r, o, b, c, a, now()
        FROM unnest(${tenants}::uuid[], ${days}::date[], ${cols.requests}::bigint[], ${cols.orders}::bigint[],
                    ${cols.backtestCandles}::bigint[], ${cols.strategyCpuMs}::bigint[], ${cols.alertsFired}::bigint[])
          AS x(t, d, r, o, b, c, a)
        WHERE EXISTS (SELECT 1 FROM flush) AND EXISTS (SELECT 1 FROM tenants WHERE id = x.t)
        ON CONFLICT (tenant_id, day) DO UPDATE SET
          requests = u.requests + EXCLUDED.requests,
          orders = u.orders + EXCLUDED.orders,
          backtest_candles = u.backtest_candles + EXCLUDED.backtest_candles,
          strategy_cpu_ms = u.strategy_cpu_ms + EXCLUDED.strategy_cpu_ms,
          alerts_fired = u.alerts_fired + EXCLUDED.alerts_fired,
          updated_at = now()
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM flush) AS recorded, (SELECT count(*) FROM added) AS n`;
    return recorded?.recorded ?? false;
  }

  /**
   * Drops flush ids older than two days (far beyond any retry: a failed batch is retried at every flush), at most `PRUNE_ROWS` per pass and one pass per
   * `PRUNE_EVERY_MS` (bounded work; every instance prunes, so the table stays about two days of flushes).
   */
  async #prune(): Promise<void> {
    const now = this.#opts.clock.now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS && now >= this.#prunedAt) return;
    this.#prunedAt = now;
    try {
      await this.#opts.db.$executeRaw`
        DELETE FROM usage_flushes WHERE id IN (
          SELECT id FROM usage_flushes WHERE flushed_at < now() - interval '2 days'
          ORDER BY flushed_at LIMIT ${PRUNE_ROWS})`;
    } catch (err) {
      this.#opts.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'usage flush prune failed',
      );
    }
  }
}
