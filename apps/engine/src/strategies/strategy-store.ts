import { createHash } from 'node:crypto';
import { type TierCapCheck, withinTierCap } from '@qt/api';
import { type Db, Prisma } from '@qt/db';
import {
  AMOUNT_SCALE,
  AppError,
  type BacktestStatus,
  type BacktestView,
  type DeploymentState,
  type InstrumentRef,
  instrumentRef,
  notFound,
  parseScaled,
  type RunBacktestInput,
  type StrategyInterval,
  type StrategyView,
} from '@qt/shared';
import type { TimedFill } from '@qt/trading';
import { z } from 'zod';
import { holderAlive } from '../lifecycle/engine-holder.ts';

/**
 * Strategies, their immutable versions, deployments and backtests in PostgreSQL (through Prisma). Every
 * read takes the tenant and answers NOT_FOUND for another tenant's id, exactly as for a missing one.
 */

export interface NewVersion {
  wasm: Uint8Array;
  source: string;
  /** The AssemblyScript it was compiled from, kept when the platform compiled it (editor, examples). */
  sourceCode?: string;
  callbacks: string[];
  memoryPages: number;
}

export interface StoredVersion {
  id: string;
  strategyId: string;
  strategyName: string;
  version: number;
  sha256: string;
  wasm: Uint8Array;
  /** When it was uploaded. */
  createdAt: Date;
}

export interface DeploymentRow {
  id: string;
  tenantId: string;
  strategyId: string;
  strategyName: string;
  versionId: string;
  version: number;
  accountId: string;
  instruments: InstrumentRef[];
  interval: StrategyInterval;
  params: Record<string, number>;
  state: DeploymentState;
  reason: string | null;
  /** Set: a buyer's deployment of this marketplace listing (the seller's strategy, the pinned version). */
  listingId: string | null;
  /** The listing's title: what the buyer sees as the strategy's name. */
  listingTitle: string | null;
  /** The listing's seller: their own deployment of it is always entitled and shows them everything. */
  listingSellerTenantId: string | null;
  /** The parameter names a buyer may set: the only ones a buyer's view shows (the rest are the seller's). */
  listingTunableNames: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

const instrumentsJson = z.array(instrumentRef);
const paramsJson = z.record(z.string(), z.number());

const versionSelect = {
  id: true,
  version: true,
  sizeBytes: true,
  sha256: true,
  source: true,
  callbacks: true,
  memoryPages: true,
  createdAt: true,
  // Whether a source is stored, without reading it (lists show every version).
  sourceCode: { select: { versionId: true } },
} as const;

export class StrategyStore {
  readonly #db: Db;
  /** This engine process's holder id (`EngineHolder`); null: a store that takes nothing up (tools, tests). */
  readonly #holder: string | null;
  /** Set by `releaseDeployments`: from then on this engine is stopping and takes no row up again. */
  #released = false;

  constructor(db: Db, holder: string | null = null) {
    this.#db = db;
    this.#holder = holder;
  }

  /** A new strategy, or a new version of the tenant's strategy with this name (versions count up). */
  async addVersion(
    tenantId: string,
    input: { name: string; description?: string | undefined; defaultParams?: Record<string, number> },
    version: NewVersion,
  ): Promise<StrategyView> {
    const sha256 = createHash('sha256').update(version.wasm).digest('hex');
    // Two uploads of the same name at once would race for the version number: retry on the unique key.
    for (let attempt = 0; ; attempt++) {
      try {
        const id = await this.#db.$transaction(async (tx) => {
          const strategy = await tx.strategy.upsert({
            where: { tenantId_name: { tenantId, name: input.name } },
            create: {
              tenantId,
              name: input.name,
              description: input.description ?? '',
              defaultParams: input.defaultParams ?? {},
            },
            update: {
              ...(input.description !== undefined ? { description: input.description } : {}),
              ...(input.defaultParams ? { defaultParams: input.defaultParams } : {}),
            },
          });
          const last = await tx.strategyVersion.findFirst({
            where: { strategyId: strategy.id },
            orderBy: { version: 'desc' },
            select: { version: true },
          });
          await tx.strategyVersion.create({
            data: {
              strategyId: strategy.id,
              version: (last?.version ?? 0) + 1,
              wasm: new Uint8Array(version.wasm),
              sha256,
              sizeBytes: version.wasm.byteLength,
              source: version.source,
              callbacks: version.callbacks,
              memoryPages: version.memoryPages,
              ...(version.sourceCode !== undefined
                ? { sourceCode: { create: { code: version.sourceCode } } }
                : {}),
            },
          });
          return strategy.id;
        });
        return this.get(tenantId, id);
      } catch (err) {
        const retry = err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
        if (!retry || attempt >= 3) throw err;
      }
    }
  }

  async list(tenantId: string): Promise<StrategyView[]> {
    const rows = await this.#db.strategy.findMany({
      where: { tenantId },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      include: { versions: { select: versionSelect, orderBy: { version: 'desc' } } },
    });
    return rows.map(strategyView);
  }

  async get(tenantId: string, strategyId: string): Promise<StrategyView> {
    const row = await this.#db.strategy.findFirst({
      where: { id: strategyId, tenantId },
      include: { versions: { select: versionSelect, orderBy: { version: 'desc' } } },
    });
    if (!row) throw notFound('Strategy');
    return strategyView(row);
  }

  /** The module bytes of a version (the latest when `version` is absent). */
  async version(tenantId: string, strategyId: string, version?: number): Promise<StoredVersion> {
    const row = await this.#db.strategyVersion.findFirst({
      where: { strategyId, strategy: { tenantId }, ...(version ? { version } : {}) },
      orderBy: { version: 'desc' },
      include: versionInclude,
    });
    if (!row) throw version ? notFound(`Version ${version} of the strategy`) : notFound('Strategy');
    return storedVersion(row);
  }

  /** A version's stored AssemblyScript (the latest version when `version` is absent); null for uploads. */
  async sourceOf(
    tenantId: string,
    strategyId: string,
    version?: number,
  ): Promise<{ version: number; source: string | null }> {
    const row = await this.#db.strategyVersion.findFirst({
      where: { strategyId, strategy: { tenantId }, ...(version ? { version } : {}) },
      orderBy: { version: 'desc' },
      select: { version: true, sourceCode: { select: { code: true } } },
    });
    if (!row) throw version ? notFound(`Version ${version} of the strategy`) : notFound('Strategy');
    return { version: row.version, source: row.sourceCode?.code ?? null };
  }

  async versionById(versionId: string): Promise<StoredVersion> {
    return storedVersion(
      await this.#db.strategyVersion.findUniqueOrThrow({ where: { id: versionId }, include: versionInclude }),
    );
  }

  // ---- deployments ---------------------------------------------------------------------------------

  async createDeployment(
    input: {
      tenantId: string;
      version: StoredVersion;
      accountId: string;
      instruments: InstrumentRef[];
      interval: StrategyInterval;
      params: Record<string, number>;
      listingId?: string;
    },
    client: DbClient = this.#db,
  ): Promise<DeploymentRow> {
    const row = await client.strategyDeployment.create({
      data: {
        tenantId: input.tenantId,
        ...(input.listingId ? { listingId: input.listingId } : {}),
        strategyId: input.version.strategyId,
        versionId: input.version.id,
        accountId: input.accountId,
        instruments: input.instruments,
        interval: input.interval,
        params: input.params,
        state: 'starting',
        // Taken up by this engine from the first moment: a module that kills the engine while it
        // starts counts toward the crash probation too.
        ...this.#heldFor('starting'),
      },
      include: deploymentInclude,
    });
    return deploymentRow(row);
  }

  async updateDeployment(
    id: string,
    patch: {
      state?: DeploymentState;
      reason?: string | null;
      versionId?: string;
      params?: Record<string, number>;
    },
    client: DbClient = this.#db,
  ): Promise<DeploymentRow> {
    const row = await client.strategyDeployment.update({
      where: { id },
      data: { ...patch, ...(patch.state ? this.#heldFor(patch.state) : {}) },
      include: deploymentInclude,
    });
    return deploymentRow(row);
  }

  /**
   * At engine start, before deployments are restored. A deployment that was running (or starting) held by
   * an engine process that is gone (no graceful shutdown released it) gets a strike; those at
   * `maxStrikes` are failed with `reason` instead of being restored. Every other active deployment is
   * taken up by this engine: also those of a holder still alive (an engine still stopping while this one
   * starts), without a strike, since that engine did not die. Returns the suspects, and how many
   * deployments to restore are on probation (a strike against them).
   */
  async takeUpDeployments(
    maxStrikes: number,
    reason: string,
  ): Promise<{ suspects: { id: string; tenantId: string }[]; onProbation: number }> {
    const holder = this.#holder;
    if (!holder) throw new Error('takeUpDeployments needs the engine holder');
    return this.#db.$transaction(async (tx) => {
      const active = { state: { in: ACTIVE_STATES } };
      // A paused deployment's module is not called: it cannot have brought the engine down.
      const held = await tx.strategyDeployment.findMany({
        where: { state: { in: ['starting', 'running'] }, heldBy: { not: null } },
        distinct: ['heldBy'],
        select: { heldBy: true },
      });
      const dead: string[] = [];
      for (const { heldBy } of held) {
        if (heldBy && heldBy !== holder && !(await holderAlive(tx, heldBy))) dead.push(heldBy);
      }
      if (dead.length > 0) {
        await tx.strategyDeployment.updateMany({
          where: { state: { in: ['starting', 'running'] }, heldBy: { in: dead } },
          data: { crashStrikes: { increment: 1 } },
        });
      }
      const suspects = await tx.strategyDeployment.findMany({
        where: { ...active, crashStrikes: { gte: maxStrikes } },
        select: { id: true, tenantId: true },
      });
      if (suspects.length > 0) {
        await tx.strategyDeployment.updateMany({
          where: { id: { in: suspects.map((d) => d.id) } },
          data: { state: 'failed', reason, ...this.#heldFor('failed') },
        });
      }
      await tx.strategyDeployment.updateMany({ where: active, data: { heldBy: holder } });
      const onProbation = await tx.strategyDeployment.count({
        where: { ...active, crashStrikes: { gt: 0 } },
      });
      return { suspects, onProbation };
    });
  }

  /** This engine's deployments that outlived their probation: the earlier engine death is forgiven. */
  async endProbation(): Promise<number> {
    if (!this.#holder) return 0;
    const { count } = await this.#db.strategyDeployment.updateMany({
      where: { heldBy: this.#holder, crashStrikes: { gt: 0 } },
      data: { crashStrikes: 0 },
    });
    return count;
  }

  /**
   * Graceful shutdown, first thing (before slower steps, so a shutdown that then runs out of time or is
   * cut short by a second signal is still not a crash): this engine lets its deployments go, and takes
   * none up again (its runners' last state writes leave the holder alone). Only its own rows: another
   * engine may already have taken some over. An earlier crash is then no longer "in a row". Safe to call
   * again (at the end of the strategies' stop, for rows a failed first call left held).
   */
  async releaseDeployments(): Promise<number> {
    this.#released = true;
    if (!this.#holder) return 0;
    const { count } = await this.#db.strategyDeployment.updateMany({
      where: { heldBy: this.#holder },
      data: { heldBy: null, crashStrikes: 0 },
    });
    return count;
  }

  /**
   * Crash-probation columns that follow a state change: an active deployment is held by the engine that
   * runs it (unless that engine is stopping); one that ended is held by none and starts afresh if it is
   * ever redeployed.
   */
  #heldFor(state: DeploymentState): { heldBy?: string | null; crashStrikes?: number } {
    if (!ACTIVE_STATES.includes(state)) return { heldBy: null, crashStrikes: 0 };
    return this.#holder && !this.#released ? { heldBy: this.#holder } : {};
  }

  async deployment(tenantId: string, id: string): Promise<DeploymentRow> {
    const row = await this.#db.strategyDeployment.findFirst({
      where: { id, tenantId },
      include: deploymentInclude,
    });
    if (!row) throw notFound('Deployment');
    return deploymentRow(row);
  }

  /**
   * The fills of the orders a deployment placed (client order ids `st.<deployment without dashes>.…`, every
   * run of it) committed after ledger sequence `after`, in commit order (the ledger's posting sequence:
   * what the account itself replays), at most `limit`. Read from the account's fill postings (the
   * sequence bounds the scan to what is new), matched on the order's client id.
   */
  async deploymentFillsAfter(
    tenantId: string,
    accountId: string,
    deploymentId: string,
    after: bigint,
    limit: number,
  ): Promise<(TimedFill & { sequence: bigint })[]> {
    const prefix = `st.${deploymentId.toLowerCase().replaceAll('-', '')}.%`;
    const rows = await this.#db.$queryRaw<
      {
        id: string;
        venue: string;
        symbol: string;
        side: 'buy' | 'sell';
        quantity: string;
        quote: string;
        fee: string;
        time: Date;
        sequence: bigint;
      }[]
    >`SELECT f.id, f.venue, f.symbol, f.side::text AS side, f.quantity::text AS quantity,
             f.quote::text AS quote, f.fee::text AS fee, f.time, lp.sequence
        FROM ledger_postings lp
        JOIN fills f ON f.id = lp.fill_id
        JOIN orders o ON o.id = f.order_id
       WHERE lp.account_id = ${accountId}::uuid AND lp.tenant_id = ${tenantId}::uuid
         AND lp.type = 'fill' AND lp.sequence > ${after}
         AND o.client_order_id LIKE ${prefix}
       ORDER BY lp.sequence
       LIMIT ${limit}`;
    return rows.map((r) => ({
      fillId: r.id,
      accountId,
      venue: r.venue,
      symbol: r.symbol,
      side: r.side,
      quantity: parseScaled(r.quantity, AMOUNT_SCALE),
      quote: parseScaled(r.quote, AMOUNT_SCALE),
      fee: parseScaled(r.fee, AMOUNT_SCALE),
      time: r.time.getTime(),
      sequence: BigInt(r.sequence),
    }));
  }

  async deployments(tenantId: string, accountId?: string): Promise<DeploymentRow[]> {
    const rows = await this.#db.strategyDeployment.findMany({
      where: { tenantId, ...(accountId ? { accountId } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      include: deploymentInclude,
    });
    return rows.map(deploymentRow);
  }

  /** Deployments to bring back after a restart: those that were running or paused. */
  async activeDeployments(): Promise<DeploymentRow[]> {
    const rows = await this.#db.strategyDeployment.findMany({
      where: { state: { in: ACTIVE_STATES } },
      orderBy: { createdAt: 'asc' },
      include: deploymentInclude,
    });
    return rows.map(deploymentRow);
  }

  // ---- backtests -----------------------------------------------------------------------------------

  async createBacktest(
    tenantId: string,
    version: StoredVersion,
    spec: RunBacktestInput,
    client: DbClient = this.#db,
    purpose: BacktestPurpose = 'user',
  ): Promise<BacktestRow> {
    const row = await client.backtest.create({
      data: {
        tenantId,
        purpose,
        strategyId: version.strategyId,
        versionId: version.id,
        spec: spec as unknown as Prisma.InputJsonValue,
        status: 'queued',
      },
      include: backtestInclude,
    });
    return backtestRow(row);
  }

  async updateBacktest(
    id: string,
    patch: {
      status?: BacktestStatus;
      progress?: number;
      reason?: string | null;
      metrics?: Prisma.InputJsonValue;
      result?: Prisma.InputJsonValue;
      startedAt?: Date;
      finishedAt?: Date;
    },
  ): Promise<BacktestRow> {
    const row = await this.#db.backtest.update({ where: { id }, data: patch, include: backtestInclude });
    return backtestRow(row);
  }

  /** A tenant's own backtest (the platform's verification runs of its listings are not: NOT_FOUND). */
  async backtest(tenantId: string, id: string): Promise<BacktestRow> {
    const row = await this.#db.backtest.findFirst({
      where: { id, tenantId, purpose: 'user' },
      include: backtestInclude,
    });
    if (!row) throw notFound('Backtest');
    return backtestRow(row);
  }

  /** A platform verification backtest (any seller's), for the marketplace. */
  async verificationBacktest(id: string): Promise<BacktestRow> {
    const row = await this.#db.backtest.findFirst({
      where: { id, purpose: 'verification' },
      include: backtestInclude,
    });
    if (!row) throw notFound('Backtest');
    return backtestRow(row);
  }

  async backtests(tenantId: string, strategyId?: string): Promise<BacktestRow[]> {
    const rows = await this.#db.backtest.findMany({
      // The platform's verification runs are the marketplace's, not the seller's own backtests.
      where: { tenantId, purpose: 'user', ...(strategyId ? { strategyId } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: 100,
      include: backtestInclude,
    });
    return rows.map(backtestRow);
  }

  /** Jobs that were queued or running when the engine stopped: they did not finish. */
  async abandonBacktests(reason: string, now: Date): Promise<number> {
    const { count } = await this.#db.backtest.updateMany({
      where: { status: { in: ['queued', 'running'] } },
      data: { status: 'failed', reason, finishedAt: now },
    });
    return count;
  }

  async countActiveBacktests(tenantId: string, client: DbClient = this.#db): Promise<number> {
    // Verification runs are the platform's: not in the seller's tier cap.
    return client.backtest.count({
      where: { tenantId, purpose: 'user', status: { in: ['queued', 'running'] } },
    });
  }

  /** Tier caps: the tenant's deployments in these states (other than `exceptId`), read under the cap lock. */
  async countDeployments(
    tenantId: string,
    states: readonly DeploymentState[],
    exceptId: string | null,
    client: DbClient = this.#db,
  ): Promise<number> {
    return client.strategyDeployment.count({
      where: { tenantId, state: { in: [...states] }, ...(exceptId ? { id: { not: exceptId } } : {}) },
    });
  }

  /**
   * The deployment's stored state, its row locked until the transaction ends: a state write racing a
   * resume (the runner failing meanwhile) lands either before this read or after the commit, never in
   * between. Null when the row is gone.
   */
  async lockDeploymentState(id: string, tx: Prisma.TransactionClient): Promise<DeploymentState | null> {
    const rows = await tx.$queryRaw<{ state: DeploymentState }[]>`
      SELECT state::text AS state FROM strategy_deployments WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0]?.state ?? null;
  }

  // ---- marketplace ---------------------------------------------------------------------------------

  /**
   * Whether the tenant may run the listing: its entitlement is active (free or paid; ended or none:
   * false), or it is the listing's seller (their own strategy needs no subscription). With `tx`, the
   * entitlement row is read `FOR SHARE`: an end committing meanwhile waits for the caller's commit, so a
   * deployment created in that transaction is seen by whoever applies the end (never lost between them).
   */
  async entitled(tenantId: string, listingId: string, tx?: Prisma.TransactionClient): Promise<boolean> {
    const client = tx ?? this.#db;
    const seller = await client.$queryRaw<{ seller: boolean }[]>`
      SELECT seller_tenant_id = ${tenantId}::uuid AS seller FROM marketplace_listings WHERE id = ${listingId}::uuid`;
    if (seller[0]?.seller) return true;
    if (seller.length === 0) return false;
    // Locked only when there is a transaction to hold it (a row lock cannot sit on an outer join's side).
    const lock = tx ? Prisma.sql`FOR SHARE` : Prisma.empty;
    const rows = await client.$queryRaw<{ status: string }[]>`
      SELECT status FROM marketplace_entitlements
       WHERE tenant_id = ${tenantId}::uuid AND listing_id = ${listingId}::uuid ${lock}`;
    return rows[0]?.status === 'active';
  }

  /**
   * The `tenant:listing` pairs among `pairs` whose access is not active now (read at call time: the
   * current state, whatever order the changes arrived in). A seller's own pairs are never ended.
   */
  async endedListings(pairs: { tenantId: string; listingId: string }[]): Promise<Set<string>> {
    const ended = new Set<string>();
    if (pairs.length === 0) return ended;
    const tenants = pairs.map((p) => p.tenantId);
    const listings = pairs.map((p) => p.listingId);
    const rows = await this.#db.$queryRaw<{ tenant_id: string; listing_id: string }[]>`
      SELECT p.tenant_id::text AS tenant_id, p.listing_id::text AS listing_id
        FROM unnest(${tenants}::uuid[], ${listings}::uuid[]) AS p(tenant_id, listing_id)
        JOIN marketplace_listings l ON l.id = p.listing_id
        LEFT JOIN marketplace_entitlements e ON e.listing_id = p.listing_id AND e.tenant_id = p.tenant_id
       WHERE l.seller_tenant_id = p.tenant_id OR e.status = 'active'`;
    const active = new Set(rows.map((r) => `${r.tenant_id}:${r.listing_id}`));
    for (const p of pairs)
      if (!active.has(`${p.tenantId}:${p.listingId}`)) ended.add(`${p.tenantId}:${p.listingId}`);
    return ended;
  }

  /**
   * A paper account's activity beside one deployment: the other deployments on it that are starting,
   * running or paused, and when money last moved in or out other than by trading (ms; null: never).
   */
  async accountActivity(
    accountId: string,
    deploymentId: string,
  ): Promise<{ otherActiveDeployments: number; lastExternalFlowAt: number | null }> {
    const [others, flow] = await Promise.all([
      this.#db.strategyDeployment.count({
        where: { accountId, id: { not: deploymentId }, state: { in: ACTIVE_STATES } },
      }),
      this.#db.ledgerPosting.aggregate({
        where: { accountId, type: { in: ['deposit', 'withdrawal'] } },
        _max: { createdAt: true },
      }),
    ]);
    return { otherActiveDeployments: others, lastExternalFlowAt: flow._max.createdAt?.getTime() ?? null };
  }

  /** The tenant's deployments of a listing in `states`. */
  async listingDeployments(
    tenantId: string,
    listingId: string,
    states: readonly DeploymentState[],
  ): Promise<DeploymentRow[]> {
    const rows = await this.#db.strategyDeployment.findMany({
      where: { tenantId, listingId, state: { in: [...states] } },
      orderBy: { createdAt: 'asc' },
      include: deploymentInclude,
    });
    return rows.map(deploymentRow);
  }

  /** Count and create under the tenant's cap lock (see `withinTierCap` in @qt/api). */
  withinTierCap<T>(check: TierCapCheck<T>): Promise<T> {
    return withinTierCap(this.#db, check);
  }
}

/** The client or the transaction (tier caps count and insert in one transaction under a lock). */
export type DbClient = Db | Prisma.TransactionClient;

const versionInclude = { strategy: { select: { name: true } } } as const;

/** States in which an engine runs the deployment (and restores it after a restart). */
const ACTIVE_STATES: DeploymentState[] = ['starting', 'running', 'paused'];

function storedVersion(
  r: Prisma.StrategyVersionGetPayload<{ include: typeof versionInclude }>,
): StoredVersion {
  return {
    id: r.id,
    strategyId: r.strategyId,
    strategyName: r.strategy.name,
    version: r.version,
    sha256: r.sha256,
    wasm: new Uint8Array(r.wasm),
    createdAt: r.createdAt,
  };
}

export type BacktestPurpose = 'user' | 'verification';

const deploymentInclude = {
  strategy: { select: { name: true } },
  strategyVersion: { select: { version: true } },
  listing: { select: { title: true, sellerTenantId: true, tunableParams: true } },
} as const;

const tunableNamesJson = z.array(z.object({ name: z.string() }));

type DeploymentDbRow = Prisma.StrategyDeploymentGetPayload<{ include: typeof deploymentInclude }>;

/** Unreadable tunables (never written so) show nothing rather than the seller's fixed values. */
function tunableNames(json: Prisma.JsonValue): string[] {
  const parsed = tunableNamesJson.safeParse(json);
  return parsed.success ? parsed.data.map((t) => t.name) : [];
}

function deploymentRow(r: DeploymentDbRow): DeploymentRow {
  return {
    id: r.id,
    tenantId: r.tenantId,
    strategyId: r.strategyId,
    strategyName: r.strategy.name,
    versionId: r.versionId,
    version: r.strategyVersion.version,
    accountId: r.accountId,
    instruments: instrumentsJson.parse(r.instruments),
    interval: r.interval as StrategyInterval,
    params: paramsJson.parse(r.params),
    state: r.state,
    reason: r.reason,
    listingId: r.listingId,
    listingTitle: r.listing?.title ?? null,
    listingSellerTenantId: r.listing?.sellerTenantId ?? null,
    listingTunableNames: r.listing ? tunableNames(r.listing.tunableParams) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Deployments and backtests show the same two things of their strategy: its name and the version number. */
const backtestInclude = {
  strategy: { select: { name: true } },
  strategyVersion: { select: { version: true } },
} as const;

type BacktestDbRow = Prisma.BacktestGetPayload<{ include: typeof backtestInclude }>;

export interface BacktestRow {
  view: BacktestView;
  tenantId: string;
  versionId: string;
  spec: RunBacktestInput;
  result: unknown;
}

function backtestRow(r: BacktestDbRow): BacktestRow {
  const spec = r.spec as unknown as RunBacktestInput;
  return {
    tenantId: r.tenantId,
    versionId: r.versionId,
    spec,
    result: r.result,
    view: {
      id: r.id,
      strategyId: r.strategyId,
      strategyName: r.strategy.name,
      version: r.strategyVersion.version,
      instruments: spec.instruments,
      interval: spec.interval,
      from: spec.from,
      to: spec.to,
      params: spec.params,
      quoteCurrency: spec.quoteCurrency ?? 'USDT',
      status: r.status,
      progress: r.progress,
      // Only the job queue knows the place in line (BacktestJobs fills it in).
      queuePosition: null,
      reason: r.reason,
      metrics: (r.metrics as BacktestView['metrics']) ?? null,
      createdAt: r.createdAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
    },
  };
}

type StrategyDbRow = Prisma.StrategyGetPayload<{
  include: { versions: { select: typeof versionSelect } };
}>;

function strategyView(r: StrategyDbRow): StrategyView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    defaultParams: paramsJson.parse(r.defaultParams),
    createdAt: r.createdAt.toISOString(),
    versions: r.versions.map((v) => ({
      id: v.id,
      version: v.version,
      sizeBytes: v.sizeBytes,
      sha256: v.sha256,
      source: v.source,
      hasSource: v.sourceCode !== null,
      callbacks: v.callbacks,
      memoryPages: v.memoryPages,
      createdAt: v.createdAt.toISOString(),
    })),
  };
}

/** For messages: a state change the caller asked for that the deployment's state does not allow. */
export function stateConflict(state: DeploymentState, action: string): AppError {
  return new AppError('STRATEGY_STATE_CONFLICT', `The deployment is ${state}: it cannot be ${action}.`, {
    state,
  });
}
