import { randomUUID } from 'node:crypto';
import { AppError } from '@qt/shared';
import type pg from 'pg';

export type BackfillStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
/** What a job fetches: 1m candles (coarser ones rolled up) or trades. */
export type BackfillKind = 'candles' | 'trades';

export interface BackfillJob {
  id: string;
  venue: string;
  symbol: string;
  kind: BackfillKind;
  interval: string;
  fromMs: number;
  toMs: number;
  /** The next minute to fetch: everything before it is stored. */
  cursorMs: number;
  status: BackfillStatus;
  /** 0..10000 (basis points). */
  progressBp: number;
  candlesWritten: number;
  requests: number;
  throttled: number;
  error: string | null;
  createdBy: string;
  createdAt: number;
  finishedAt: number | null;
  /** Set when the venue could not serve the whole range (Bybit trades): complete from here on. */
  completeFromMs: number | null;
}

interface JobRow {
  id: string;
  venue: string;
  symbol: string;
  kind: BackfillKind;
  interval: string;
  from_ms: string;
  to_ms: string;
  cursor_ms: string;
  status: BackfillStatus;
  progress_bp: number;
  candles_written: string;
  requests: number;
  throttled: number;
  error: string | null;
  created_by: string;
  created_ms: string;
  finished_ms: string | null;
  complete_from_ms: string | null;
}

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::bigint`;
const ts = (param: string) => `(timestamptz 'epoch' + ${param}::bigint * interval '1 millisecond')`;
const columns = `id, venue, symbol, kind, "interval", ${ms('from_time')} AS from_ms, ${ms('to_time')} AS to_ms,
  ${ms('cursor')} AS cursor_ms, status, progress_bp, candles_written::text, requests, throttled, error, created_by,
  ${ms('created_at')} AS created_ms, ${ms('finished_at')} AS finished_ms, ${ms('complete_from')} AS complete_from_ms`;

function toJob(r: JobRow): BackfillJob {
  return {
    id: r.id,
    venue: r.venue,
    symbol: r.symbol,
    kind: r.kind,
    interval: r.interval,
    fromMs: Number(r.from_ms),
    toMs: Number(r.to_ms),
    cursorMs: Number(r.cursor_ms),
    status: r.status,
    progressBp: r.progress_bp,
    candlesWritten: Number(r.candles_written),
    requests: r.requests,
    throttled: r.throttled,
    error: r.error,
    createdBy: r.created_by,
    createdAt: Number(r.created_ms),
    finishedAt: r.finished_ms === null ? null : Number(r.finished_ms),
    completeFromMs: r.complete_from_ms === null ? null : Number(r.complete_from_ms),
  };
}

/** Basis points of [from, to) below `cursor`. */
export function progressOf(fromMs: number, toMs: number, cursorMs: number): number {
  if (toMs <= fromMs) return 10_000;
  return Math.max(0, Math.min(10_000, Math.floor(((cursorMs - fromMs) * 10_000) / (toMs - fromMs))));
}

/**
 * The `backfill_jobs` table. A job is claimed by one runner at a time: `claimNext` takes a queued job, or
 * a running one whose runner stopped touching it (a crashed engine) for `staleMs`; a live runner touches
 * its job with every page and a heartbeat, so it is never taken from under it.
 */
export class BackfillStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async create(job: {
    venue: string;
    symbol: string;
    /** Default 'candles'. */
    kind?: BackfillKind;
    interval: string;
    fromMs: number;
    toMs: number;
    createdBy: string;
  }): Promise<BackfillJob> {
    if (!(job.fromMs < job.toMs)) throw new AppError('VALIDATION_FAILED', 'A backfill needs from < to.');
    const { rows } = await this.#pool.query<JobRow>(
      `INSERT INTO backfill_jobs (id, venue, symbol, "interval", from_time, to_time, cursor, status, created_by, kind)
       VALUES ($1, $2, $3, $4, ${ts('$5')}, ${ts('$6')}, ${ts('$5')}, 'queued', $7, $8) RETURNING ${columns}`,
      [
        randomUUID(),
        job.venue,
        job.symbol,
        job.interval,
        job.fromMs,
        job.toMs,
        job.createdBy,
        job.kind ?? 'candles',
      ],
    );
    return toJob(rows[0] as JobRow);
  }

  async get(id: string): Promise<BackfillJob | null> {
    const { rows } = await this.#pool.query<JobRow>(`SELECT ${columns} FROM backfill_jobs WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Jobs of one creator (a tenant id or 'system'), newest first, at most `limit` (1..200). */
  async list(createdBy: string, limit = 50): Promise<BackfillJob[]> {
    const { rows } = await this.#pool.query<JobRow>(
      `SELECT ${columns} FROM backfill_jobs WHERE created_by = $1 ORDER BY created_at DESC LIMIT $2`,
      [createdBy, Math.max(1, Math.min(200, limit))],
    );
    return rows.map(toJob);
  }

  /** Unfinished jobs of a creator (for its concurrency limit). */
  async countUnfinished(createdBy: string): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM backfill_jobs WHERE created_by = $1 AND status IN ('queued', 'running')`,
      [createdBy],
    );
    return rows[0]?.n ?? 0;
  }

  /** An unfinished job of this kind covering this series and range, to answer a repeated request with it. */
  async findOpen(
    venue: string,
    symbol: string,
    fromMs: number,
    toMs: number,
    kind: BackfillKind = 'candles',
  ): Promise<BackfillJob | null> {
    const { rows } = await this.#pool.query<JobRow>(
      `SELECT ${columns} FROM backfill_jobs
        WHERE venue = $1 AND symbol = $2 AND kind = $5 AND status IN ('queued', 'running')
          AND from_time <= ${ts('$3')} AND to_time >= ${ts('$4')}
        ORDER BY created_at LIMIT 1`,
      [venue, symbol, fromMs, toMs, kind],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Takes the venue's oldest runnable job (see the class comment), marking it running. */
  async claimNext(venue: string, staleMs: number): Promise<BackfillJob | null> {
    const { rows } = await this.#pool.query<JobRow>(
      `UPDATE backfill_jobs SET status = 'running', updated_at = now()
        WHERE id = (SELECT id FROM backfill_jobs
                     WHERE venue = $1 AND (status = 'queued'
                       OR (status = 'running' AND updated_at < now() - $2::bigint * interval '1 millisecond'))
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING ${columns}`,
      [venue, staleMs],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Records a committed page: the cursor moves on, counters add up. */
  async advance(
    id: string,
    cursorMs: number,
    add: { candles: number; requests: number; throttled: number; completeFromMs?: number },
  ): Promise<BackfillJob> {
    const { rows } = await this.#pool.query<JobRow>(
      `UPDATE backfill_jobs SET cursor = ${ts('$2')},
              progress_bp = LEAST(10000, GREATEST(0, floor(($2::bigint - ${ms('from_time')}) * 10000.0
                / GREATEST(1, ${ms('to_time')} - ${ms('from_time')}))::int)),
              candles_written = candles_written + $3, requests = requests + $4, throttled = throttled + $5,
              complete_from = COALESCE(${ts('$6')}, complete_from), updated_at = now()
        WHERE id = $1 RETURNING ${columns}`,
      [id, cursorMs, add.candles, add.requests, add.throttled, add.completeFromMs ?? null],
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', 'The backfill job is gone.', { id });
    return toJob(rows[0]);
  }

  async touch(id: string): Promise<void> {
    await this.#pool.query(
      `UPDATE backfill_jobs SET updated_at = now() WHERE id = $1 AND status = 'running'`,
      [id],
    );
  }

  async finish(
    id: string,
    status: 'done' | 'failed' | 'cancelled',
    error: string | null,
  ): Promise<BackfillJob> {
    const { rows } = await this.#pool.query<JobRow>(
      `UPDATE backfill_jobs SET status = $2, error = $3, finished_at = now(), updated_at = now(),
              progress_bp = CASE WHEN $2 = 'done' THEN 10000 ELSE progress_bp END
        WHERE id = $1 RETURNING ${columns}`,
      [id, status, error],
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', 'The backfill job is gone.', { id });
    return toJob(rows[0]);
  }

  /** A job a runner let go of without finishing (engine stopping): queued again for the next start. */
  async release(id: string): Promise<void> {
    await this.#pool.query(
      `UPDATE backfill_jobs SET status = 'queued', updated_at = now() WHERE id = $1 AND status = 'running'`,
      [id],
    );
  }
}
