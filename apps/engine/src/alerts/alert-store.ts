import type { Firing } from '@qt/alerts';
import type { Db } from '@qt/db';
import type { AlertFiringView, Tier } from '@qt/shared';

/** The stream positions a stored snapshot covers (last sequence evaluated per stream). */
export interface AlertPositions {
  bus: 'in-process' | 'nats';
  /** What the stored evaluator state covers. */
  streams: Record<string, number>;
  /**
   * What the per-batch commits stored firings for (and the bus then acknowledged): at or after `streams`.
   * Written every batch without rewriting the state (only every few seconds), so after a crash the
   * state is up to one snapshot interval behind it. Absent in rows written before the cadence existed.
   */
  committed?: Record<string, number>;
}

export interface StoredSnapshot {
  state: unknown;
  positions: AlertPositions;
}

export interface ActiveAlertRow {
  id: string;
  tenantId: string;
  tier: Tier;
  name: string;
  rule: Record<string, unknown>;
  channels: unknown;
  /** When its rule last started (created, edited or resumed): earlier events are not evaluated for it. */
  updatedAt: Date;
}

export interface PendingDeliveryRow {
  firingId: string;
  channelId: string;
  attempts: number;
  payload: Firing;
  alertId: string;
  tenantId: string;
  tier: Tier;
  channels: unknown;
}

/**
 * What a batch's commit records on the `#committed` row: the positions and the bus they are positions
 * on (a sequence means something only on the stream that numbered it: a row written on another bus is
 * ignored at load, as the state row's positions are).
 */
export interface CommittedPositions {
  bus: AlertPositions['bus'];
  streams: Record<string, number>;
}

/** One firing to store, with the channels it goes to. */
export interface FiringToStore {
  firing: Firing;
  channelIds: readonly string[];
}

/**
 * Firings per statement: a batch of 1,000 trades can fire thousands (one per alert on a busy symbol);
 * one JSON parameter of that size is one long statement holding locks on every alert it finishes.
 * Chunks of this size go in one transaction, the positions row with the last chunk.
 */
export const FIRINGS_PER_STATEMENT = 500;
/**
 * Server-side bounds on a batch's commit (SET LOCAL, so only that transaction): a hung or locked
 * database fails the commit (SQLSTATE 57014 / 55P03, transient) and the caller retries it, instead of
 * the evaluation waiting for ever with the bus holding every later batch.
 */
export const COMMIT_STATEMENT_TIMEOUT_MS = 5_000;
export const COMMIT_LOCK_TIMEOUT_MS = 2_000;

/** A deployment market paused by a stale feed, with when it was paused (the row's last change). */
export interface StaleFeedPause {
  venue: string;
  symbol: string;
  /** ms since epoch: the latest `updated_at` of the market's paused rows (a lower bound of the pause). */
  pausedAt: number;
}

/**
 * `FEED_STALE: <venue> <symbol> ...` -> venue and symbol; null for anything else. Parsed here, not in a
 * SQL regular expression: backslash classes in a tagged template reach the server without their
 * backslash (`\S` became `S`, which matched nothing).
 */
export function parseStaleFeedReason(reason: string): { venue: string; symbol: string } | null {
  if (!reason.startsWith('FEED_STALE: ')) return null;
  const [venue, symbol] = reason.slice('FEED_STALE: '.length).split(' ', 2);
  return venue && symbol ? { venue, symbol } : null;
}

/** The row holding an evaluator's committed positions (beside its state row). */
export function committedRow(evaluator: string): string {
  return `${evaluator}#committed`;
}

/**
 * The alert engine's SQL. Firings, their pending deliveries, the alerts a `once` firing finished and the
 * committed stream positions are written by ONE statement per batch (`commitEvaluation`); the evaluator
 * state (a few MB at 100,000 alerts) is written apart (`writeSnapshot`), captured only after the batches
 * it covers committed, so the snapshot never covers an event whose firings are not stored, and a replay
 * from it finds the same deterministic firing ids (stored ON CONFLICT DO NOTHING).
 */
export class AlertStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  get db(): Db {
    return this.#db;
  }

  /**
   * The stored state with the positions it covers, and the positions the per-batch commits reached since
   * (kept in their own row, `<evaluator>#committed`: see commitEvaluation).
   */
  async loadSnapshot(evaluator: string): Promise<StoredSnapshot | null> {
    const rows = await this.#db.alertEvaluatorSnapshot.findMany({
      where: { evaluator: { in: [evaluator, committedRow(evaluator)] } },
    });
    const row = rows.find((r) => r.evaluator === evaluator);
    if (!row) return null;
    const positions = row.positions as unknown as AlertPositions;
    const later = rows.find((r) => r.evaluator !== evaluator)?.positions as
      | { bus?: string; committed?: Record<string, number> }
      | undefined;
    // The larger of the two per stream: rows written before the split carry `committed` in the state row.
    const committed: Record<string, number> = { ...positions.streams, ...(positions.committed ?? {}) };
    // Only positions on the bus the state was written on (an engine moved between the in-process bus and
    // NATS numbers its streams afresh; a row without a bus predates this check and is not trusted).
    const sameBus = later?.bus === positions.bus;
    for (const [k, v] of Object.entries(sameBus ? (later?.committed ?? {}) : {}))
      committed[k] = Math.max(v, committed[k] ?? 0);
    return { state: row.state, positions: { ...positions, committed } };
  }

  /**
   * Stores the evaluator state with the positions it covers (every few seconds and at stop), as one
   * prepared JSON text: about 9 MB at 100,000 alerts, which took Prisma's Json upsert 3.6 s. Written
   * outside the per-batch commits and on its own row, so a batch's commit never waits for it (nor for its
   * row lock). The state may only cover positions whose firings are stored (the caller's order).
   */
  async writeSnapshot(
    evaluator: string,
    stateJson: string,
    positions: AlertPositions,
    /** Waiting for a connection, and the whole transaction (the stop path passes what its budget has left). */
    limits: { maxWaitMs: number; timeoutMs: number } = { maxWaitMs: 5_000, timeoutMs: 30_000 },
  ): Promise<void> {
    await this.#db.$transaction(
      async (tx) => {
        // Not waiting for the WAL flush: a snapshot lost to a database crash leaves the previous one, which
        // a restart handles as after an engine crash; the firings themselves are committed synchronously.
        await tx.$executeRaw`SET LOCAL synchronous_commit = off`;
        await tx.$executeRaw`
        INSERT INTO alert_evaluator_snapshots (evaluator, state, positions, updated_at)
        VALUES (${evaluator}, ${stateJson}::jsonb, ${JSON.stringify(positions)}::jsonb, now())
        ON CONFLICT (evaluator) DO UPDATE
        SET state = EXCLUDED.state, positions = EXCLUDED.positions, updated_at = now()`;
      },
      {
        maxWait: Math.max(1, Math.round(limits.maxWaitMs)),
        timeout: Math.max(1, Math.round(limits.timeoutMs)),
      },
    );
  }

  async activeAlerts(): Promise<ActiveAlertRow[]> {
    const rows = await this.#db.alert.findMany({
      where: { state: 'active' },
      select: {
        id: true,
        tenantId: true,
        name: true,
        rule: true,
        channels: true,
        updatedAt: true,
        tenant: { select: { tier: true } },
      },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenantId,
      tier: r.tenant.tier,
      name: r.name,
      rule: r.rule as Record<string, unknown>,
      channels: r.channels,
      updatedAt: r.updatedAt,
    }));
  }

  /**
   * One batch's commit, in ONE transaction bounded by COMMIT_STATEMENT_TIMEOUT_MS / COMMIT_LOCK_TIMEOUT_MS
   * (a timed-out commit fails whole and the caller retries it): stores the firings (ON CONFLICT DO
   * NOTHING: a replayed event finds its firing stored), a pending delivery per channel of each NEW firing
   * (leased to this engine at once: it offers them to its queue right after, and another engine's sweep
   * must not send them meanwhile), marks the alerts of final firings fired out, and records the committed
   * stream positions on the evaluator's `#committed` row (not the state row, which writeSnapshot rewrites
   * in the background: its row lock must not hold a commit). Firings go FIRINGS_PER_STATEMENT to a
   * statement, the positions with the last one (up to 500 firings: one statement). Firings of alerts
   * deleted or no longer active are dropped (joined on alerts: another engine may have fired a `once`
   * alert out, or the owner paused it, since this engine evaluated the event). `committed` null: the
   * firings only (isolating a bad firing: the positions are written once the batch is settled).
   * Returns the new firings' ids: only those are published in-app and delivered by the caller.
   */
  async commitEvaluation(
    evaluator: string,
    firings: readonly FiringToStore[],
    /** The last sequence evaluated per stream, this batch included, and the bus they are on. */
    committed: CommittedPositions | null,
    leaseMs: number,
  ): Promise<Set<string>> {
    const chunks: FiringToStore[][] = [];
    for (let i = 0; i < firings.length; i += FIRINGS_PER_STATEMENT)
      chunks.push(firings.slice(i, i + FIRINGS_PER_STATEMENT));
    const positions =
      committed === null ? null : JSON.stringify({ bus: committed.bus, committed: committed.streams });
    const statements = chunks.map((chunk, i) =>
      this.#storeFirings(evaluator, chunk, i === chunks.length - 1 ? positions : null, leaseMs),
    );
    // Most batches fire nothing: only the positions (and nothing that touches the firing tables).
    if (chunks.length === 0 && positions !== null)
      statements.push(
        this.#db.$queryRaw<{ id: string }[]>`
          INSERT INTO alert_evaluator_snapshots (evaluator, state, positions, updated_at)
          VALUES (${committedRow(evaluator)}, '{}'::jsonb, ${positions}::jsonb, now())
          ON CONFLICT (evaluator) DO UPDATE SET positions = EXCLUDED.positions, updated_at = now()
          RETURNING NULL::text AS id`,
      );
    if (statements.length === 0) return new Set();
    // set_config(..., true) is SET LOCAL: these bounds end with the transaction.
    const [, ...results] = await this.#db.$transaction([
      this.#db.$executeRaw`
        SELECT set_config('statement_timeout', ${String(COMMIT_STATEMENT_TIMEOUT_MS)}, true),
               set_config('lock_timeout', ${String(COMMIT_LOCK_TIMEOUT_MS)}, true)`,
      ...statements,
    ]);
    const ids = new Set<string>();
    for (const rows of results as { id: string | null }[][])
      for (const r of rows) if (r.id !== null) ids.add(r.id);
    return ids;
  }

  /** One statement: up to FIRINGS_PER_STATEMENT firings, and the positions when given. */
  #storeFirings(
    evaluator: string,
    firings: readonly FiringToStore[],
    positions: string | null,
    leaseMs: number,
  ) {
    const rows = firings.map(({ firing, channelIds }) => ({
      id: firing.id,
      alert_id: firing.alertId,
      payload: firing,
      fired_at: firing.at,
      channels: channelIds,
      final: firing.final,
    }));
    return this.#db.$queryRaw<{ id: string }[]>`
      WITH f AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS f(id text, alert_id uuid, payload jsonb, fired_at bigint, channels text[], final boolean)
      ), ins AS (
        INSERT INTO alert_firings (id, alert_id, tenant_id, payload, fired_at)
        SELECT f.id, a.id, a.tenant_id, f.payload, to_timestamp(f.fired_at / 1000.0)
        FROM f JOIN alerts a ON a.id = f.alert_id AND a.state = 'active'
        ON CONFLICT (id) DO NOTHING
        RETURNING id, tenant_id
      ), deliveries AS (
        INSERT INTO alert_deliveries (firing_id, channel_id, tenant_id, claimed_by, claimed_until)
        SELECT ins.id, c.channel_id, ins.tenant_id, ${evaluator},
               now() + ${leaseMs}::int * interval '1 millisecond'
        FROM ins JOIN f ON f.id = ins.id CROSS JOIN LATERAL unnest(f.channels) AS c(channel_id)
        ON CONFLICT DO NOTHING
      ), finished AS (
        UPDATE alerts SET state = 'fired_out', updated_at = now()
        WHERE id IN (SELECT alert_id FROM f WHERE final) AND state = 'active'
      ), pos AS (
        INSERT INTO alert_evaluator_snapshots (evaluator, state, positions, updated_at)
        SELECT ${committedRow(evaluator)}, '{}'::jsonb, ${positions}::jsonb, now()
        WHERE ${positions}::jsonb IS NOT NULL
        ON CONFLICT (evaluator) DO UPDATE SET positions = EXCLUDED.positions, updated_at = now()
      )
      SELECT id FROM ins`;
  }

  /**
   * Claims up to `limit` pending deliveries for `evaluator` (a lease of `leaseMs`) and returns them with
   * what is needed to send them, oldest first. Claimable: rows nobody holds (no lease, or an expired one)
   * and this engine's own rows that its queue does not hold (`held`: refused as full, or left by a
   * restart). Rows another engine holds are skipped, and so are rows being claimed concurrently
   * (FOR UPDATE SKIP LOCKED): one engine sends a row at a time. Leaving out the held rows in the query,
   * not after it, keeps the oldest rows that sit in the queue from filling every sweep (starvation).
   */
  async claimPendingDeliveries(
    evaluator: string,
    limit: number,
    held: readonly { firingId: string; channelId: string }[],
    leaseMs: number,
  ): Promise<PendingDeliveryRow[]> {
    if (limit <= 0) return [];
    const heldFirings = held.map((h) => h.firingId);
    const heldChannels = held.map((h) => h.channelId);
    const rows = await this.#db.$queryRaw<
      {
        firing_id: string;
        channel_id: string;
        attempts: number;
        payload: Firing;
        alert_id: string;
        tenant_id: string;
        tier: Tier;
        channels: unknown;
        created_at: Date;
      }[]
    >`
      WITH held AS (
        SELECT * FROM unnest(${heldFirings}::text[], ${heldChannels}::text[]) AS h(firing_id, channel_id)
      ), c AS (
        SELECT d.firing_id, d.channel_id, d.created_at
        FROM alert_deliveries d
        WHERE d.status = 'pending'
          AND (d.claimed_until IS NULL OR d.claimed_until < now() OR d.claimed_by = ${evaluator})
          AND NOT EXISTS (
            SELECT 1 FROM held h WHERE h.firing_id = d.firing_id AND h.channel_id = d.channel_id)
        ORDER BY d.created_at, d.firing_id, d.channel_id
        LIMIT ${limit}
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE alert_deliveries d
      SET claimed_by = ${evaluator}, claimed_until = now() + ${leaseMs}::int * interval '1 millisecond'
      FROM c, alert_firings f, alerts a, tenants t
      WHERE d.firing_id = c.firing_id AND d.channel_id = c.channel_id
        AND f.id = d.firing_id AND a.id = f.alert_id AND t.id = f.tenant_id
      RETURNING d.firing_id, d.channel_id, d.attempts, f.payload, f.alert_id::text AS alert_id,
                f.tenant_id::text AS tenant_id, t.tier::text AS tier, a.channels, c.created_at`;
    // UPDATE ... RETURNING has no order: oldest first again.
    rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
    return rows.map((r) => ({
      firingId: r.firing_id,
      channelId: r.channel_id,
      attempts: r.attempts,
      payload: r.payload,
      alertId: r.alert_id,
      tenantId: r.tenant_id,
      tier: r.tier,
      channels: r.channels,
    }));
  }

  /** Extends this engine's lease on the rows its queue holds (each sweep), so no other engine takes them. */
  async renewClaims(
    evaluator: string,
    held: readonly { firingId: string; channelId: string }[],
    leaseMs: number,
  ): Promise<void> {
    if (held.length === 0) return;
    await this.#db.$executeRaw`
      UPDATE alert_deliveries d
      SET claimed_until = now() + ${leaseMs}::int * interval '1 millisecond'
      FROM unnest(${held.map((h) => h.firingId)}::text[], ${held.map((h) => h.channelId)}::text[])
        AS h(firing_id, channel_id)
      WHERE d.firing_id = h.firing_id AND d.channel_id = h.channel_id
        AND d.status = 'pending' AND d.claimed_by = ${evaluator}`;
  }

  /** Gives up this engine's leases on rows still pending (at stop): another engine may take them at once. */
  async releaseClaims(evaluator: string): Promise<void> {
    await this.#db.$executeRaw`
      UPDATE alert_deliveries SET claimed_by = NULL, claimed_until = NULL
      WHERE claimed_by = ${evaluator} AND status = 'pending'`;
  }

  async recordAttempt(firingId: string, channelId: string, error: string | null): Promise<void> {
    await this.#db.alertDelivery.updateMany({
      where: { firingId, channelId, status: 'pending' },
      data: { attempts: { increment: 1 }, lastError: error },
    });
  }

  async recordOutcome(
    firingId: string,
    channelId: string,
    outcome: { status: 'sent' } | { status: 'dead'; reason: string; error: string },
  ): Promise<void> {
    await this.#db.alertDelivery.updateMany({
      where: { firingId, channelId, status: 'pending' },
      data:
        outcome.status === 'sent'
          ? { status: 'sent', lastError: null }
          : { status: 'dead', reason: outcome.reason, lastError: outcome.error.slice(0, 500) },
    });
  }

  /**
   * The markets of deployments paused by a stale feed (reason `FEED_STALE: <venue> <symbol> ...`, set by
   * the strategies service), at most `limit`, most recently paused first (the ones a restart most likely
   * interrupted): after a restart no `feedLive` event closes a stale period the previous run saw open, so
   * a trade on the market after the pause resumes them. The reason is parsed here (parseStaleFeedReason).
   */
  async staleFeedPauses(limit: number): Promise<StaleFeedPause[]> {
    const rows = await this.#db.$queryRaw<{ reason: string; paused_at: Date }[]>`
      SELECT reason, max(updated_at) AS paused_at
      FROM strategy_deployments
      WHERE state = 'paused' AND reason LIKE 'FEED_STALE: %'
      GROUP BY reason
      ORDER BY max(updated_at) DESC, reason
      LIMIT ${limit}`;
    const byMarket = new Map<string, StaleFeedPause>();
    for (const r of rows) {
      const m = parseStaleFeedReason(r.reason);
      if (!m) continue;
      const key = `${m.venue} ${m.symbol}`;
      const at = r.paused_at.getTime();
      const seen = byMarket.get(key);
      if (!seen || seen.pausedAt < at) byMarket.set(key, { ...m, pausedAt: at });
    }
    return [...byMarket.values()];
  }

  /** Active alerts whose `expiresAt` passed become expired; returns their ids. */
  async expire(nowMs: number): Promise<string[]> {
    const rows = await this.#db.$queryRaw<{ id: string }[]>`
      UPDATE alerts SET state = 'expired', updated_at = now()
      WHERE state = 'active' AND jsonb_typeof(rule->'expiresAt') = 'number'
        AND (rule->>'expiresAt')::numeric <= ${nowMs}
      RETURNING id::text AS id`;
    return rows.map((r) => r.id);
  }
}

/** A stored firing as the API shows it. */
export function firingView(
  payload: Firing,
  readAt: Date | null,
  deliveries?: {
    channelId: string;
    status: string;
    attempts: number;
    lastError: string | null;
    reason: string | null;
  }[],
): AlertFiringView {
  return {
    id: payload.id,
    alertId: payload.alertId,
    alertName: payload.alertName,
    venue: payload.venue,
    symbol: payload.symbol,
    source: payload.source,
    at: payload.at,
    price: payload.price,
    interval: payload.interval,
    values: payload.values,
    event: payload.event,
    message: payload.message,
    readAt: readAt ? readAt.getTime() : null,
    ...(deliveries
      ? {
          deliveries: deliveries.map((d) => ({
            channelId: d.channelId,
            status: d.status as 'pending' | 'sent' | 'dead',
            attempts: d.attempts,
            lastError: d.lastError,
            reason: d.reason,
          })),
        }
      : {}),
  };
}
