import { createHash, randomUUID } from 'node:crypto';
import type { ListingPriceSpec, MarketplaceBilling, SellerAccountState, SellerFinance } from '@qt/billing';
import type { Db, Prisma } from '@qt/db';
import {
  AppError,
  type BacktestMetricsView,
  type DeploymentView,
  type InstrumentRef,
  type MarketplaceScope,
  notFound,
  type StrategyInterval,
  type Tier,
} from '@qt/shared';
import type { MarketplaceStrategies } from '../../src/marketplace-strategies.ts';

/**
 * In-test implementations of the marketplace's two collaborators. They keep real state (rows in the
 * test database where the schema's foreign keys need them, maps otherwise) and record every call, so
 * tests can assert on what the marketplace asked for. The engine-level tests use the real ones.
 */
export class RecordingStrategies implements MarketplaceStrategies {
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Stored candle open times per `venue:SYMBOL:interval` (ascending). */
  readonly candles = new Map<string, number[]>();
  readonly equity = new Map<string, string>();
  /** Test control: the last deposit/withdrawal on a paper account (ms). */
  readonly flows = new Map<string, number>();
  /** Test control: `venue:SYMBOL` the platform does not know. */
  readonly unknown = new Set<string>();

  /** Test control: `count` candles every `step` ms from `first`. */
  setCandles(key: string, first: number, step: number, count: number): void {
    this.candles.set(
      key,
      Array.from({ length: count }, (_, i) => first + i * step),
    );
  }
  readonly curves = new Map<string, { equity: [number, number][]; drawdown: [number, number][] }>();

  constructor(private readonly db: Db) {}

  async resolveVersion(sellerTenantId: string, strategyId: string, version?: number) {
    this.calls.push({ method: 'resolveVersion', args: [sellerTenantId, strategyId, version] });
    const s = await this.db.strategy.findFirst({
      where: { id: strategyId, tenantId: sellerTenantId },
      include: { versions: { orderBy: { version: 'desc' } } },
    });
    const v = version === undefined ? s?.versions[0] : s?.versions.find((x) => x.version === version);
    if (!s || !v) throw notFound('Strategy');
    return {
      versionId: v.id,
      version: v.version,
      sha256: v.sha256,
      strategyName: s.name,
      createdAt: v.createdAt.getTime(),
    };
  }

  async unknownInstruments(instruments: InstrumentRef[]): Promise<InstrumentRef[]> {
    this.calls.push({ method: 'unknownInstruments', args: [instruments] });
    return instruments.filter((i) => this.unknown.has(`${i.venue}:${i.symbol}`));
  }

  async startVerification(input: Parameters<MarketplaceStrategies['startVerification']>[0]): Promise<string> {
    this.calls.push({ method: 'startVerification', args: [input] });
    const row = await this.db.backtest.create({
      data: {
        tenantId: input.sellerTenantId,
        strategyId: input.strategyId,
        versionId: input.versionId,
        purpose: 'verification',
        status: 'queued',
        spec: {
          instruments: [input.instrument],
          interval: input.interval,
          from: input.from,
          to: input.to,
          params: input.params,
          quoteCurrency: 'USDT',
        } as unknown as Prisma.InputJsonValue,
      },
    });
    return row.id;
  }

  /** Test control: the backtest ended. */
  async finish(
    backtestId: string,
    outcome: { metrics: Partial<BacktestMetricsView> } | { failed: string },
  ): Promise<void> {
    if ('failed' in outcome) {
      await this.db.backtest.update({
        where: { id: backtestId },
        data: { status: 'failed', reason: outcome.failed },
      });
      return;
    }
    const metrics: BacktestMetricsView = {
      totalReturn: null,
      cagr: null,
      sharpe: null,
      sortino: null,
      maxDrawdown: null,
      winRate: null,
      profitFactor: null,
      exposure: null,
      startEquity: '10000',
      endEquity: '10000',
      fees: '0',
      orders: 0,
      fills: 0,
      rejections: 0,
      ...outcome.metrics,
    } as BacktestMetricsView;
    await this.db.backtest.update({
      where: { id: backtestId },
      data: { status: 'completed', metrics: metrics as unknown as Prisma.InputJsonValue },
    });
    this.curves.set(backtestId, {
      equity: [
        [1, 10_000],
        [2, 11_000],
      ],
      drawdown: [
        [1, 0],
        [2, 0],
      ],
    });
  }

  async verificationResult(backtestId: string) {
    this.calls.push({ method: 'verificationResult', args: [backtestId] });
    const row = await this.db.backtest.findUnique({ where: { id: backtestId } });
    if (!row) throw notFound('Backtest');
    const curves = this.curves.get(backtestId) ?? { equity: [], drawdown: [] };
    return {
      status: row.status,
      reason: row.reason,
      metrics: (row.metrics as BacktestMetricsView | null) ?? null,
      ...curves,
    };
  }

  async storedCandles(
    instrument: InstrumentRef,
    interval: StrategyInterval,
    window?: { from: number; to: number },
  ) {
    this.calls.push({ method: 'storedCandles', args: [instrument, interval, window] });
    const all = this.candles.get(`${instrument.venue}:${instrument.symbol}:${interval}`) ?? [];
    const times = window ? all.filter((t) => t >= window.from && t < window.to) : all;
    const first = times[0];
    const last = times.at(-1);
    return first === undefined || last === undefined ? null : { first, last, count: times.length };
  }

  async deployListing(
    scope: { tenantId: string; actor: string; tier: Tier },
    input: Parameters<MarketplaceStrategies['deployListing']>[1],
  ): Promise<DeploymentView> {
    this.calls.push({ method: 'deployListing', args: [scope, input] });
    const account = await this.db.paperAccount.findFirst({
      where: { id: input.accountId, tenantId: scope.tenantId },
    });
    if (!account) throw notFound('Paper account');
    const row = await this.db.strategyDeployment.create({
      data: {
        tenantId: scope.tenantId,
        strategyId: input.strategyId,
        versionId: input.versionId,
        accountId: input.accountId,
        instruments: input.instruments as unknown as Prisma.InputJsonValue,
        interval: input.interval,
        params: input.params,
        state: 'running',
        listingId: input.listingId,
      },
    });
    return {
      id: row.id,
      strategyId: row.strategyId,
      strategyName: input.title,
      version: 1,
      accountId: row.accountId,
      instruments: input.instruments,
      interval: input.interval,
      params: input.params as Record<string, number>,
      state: 'running',
      reason: null,
      metrics: {} as DeploymentView['metrics'],
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  async deploymentEquity(sellerTenantId: string, deploymentId: string) {
    this.calls.push({ method: 'deploymentEquity', args: [sellerTenantId, deploymentId] });
    const d = await this.db.strategyDeployment.findFirst({
      where: { id: deploymentId, tenantId: sellerTenantId },
    });
    if (!d) throw notFound('Deployment');
    const others = await this.db.strategyDeployment.count({
      where: { accountId: d.accountId, id: { not: d.id }, state: { in: ['starting', 'running', 'paused'] } },
    });
    return {
      versionId: d.versionId,
      running: d.state === 'running',
      equity: this.equity.get(d.id) ?? '10000',
      accountId: d.accountId,
      instruments: d.instruments as unknown as InstrumentRef[],
      interval: d.interval as StrategyInterval,
      params: d.params as Record<string, number>,
      otherActiveDeployments: others,
      lastExternalFlowAt: this.flows.get(d.accountId) ?? null,
    };
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

export class RecordingBilling implements MarketplaceBilling {
  readonly feePercent = 20;
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly sellers = new Map<string, SellerAccountState>();
  readonly cancelled: { tenantId: string; listingId: string }[] = [];

  async ensureListingPrice(spec: ListingPriceSpec) {
    this.calls.push({ method: 'ensureListingPrice', args: [spec] });
    return { productId: `prod_${spec.listingId.slice(0, 8)}`, priceId: `price_${spec.listingId}` };
  }

  async startListingCheckout(input: Parameters<MarketplaceBilling['startListingCheckout']>[0]) {
    this.calls.push({ method: 'startListingCheckout', args: [input] });
    if (!this.sellers.get(input.sellerTenantId)?.chargesEnabled)
      throw new AppError('SELLER_NOT_ONBOARDED', 'seller cannot take charges');
    return { url: `https://checkout.test/${input.listingId}/${input.tenantId}` };
  }

  async cancelListingSubscription(tenantId: string, listingId: string) {
    this.calls.push({ method: 'cancelListingSubscription', args: [tenantId, listingId] });
    this.cancelled.push({ tenantId, listingId });
  }

  async sellerOnboardingLink(tenantId: string) {
    this.calls.push({ method: 'sellerOnboardingLink', args: [tenantId] });
    if (!this.sellers.has(tenantId))
      this.sellers.set(tenantId, {
        stripeAccountId: `acct_${tenantId.slice(0, 8)}`,
        chargesEnabled: false,
        payoutsEnabled: false,
        detailsSubmitted: false,
      });
    return { url: `https://connect.test/onboard/${tenantId}` };
  }

  async sellerAccount(tenantId: string, refresh?: boolean) {
    this.calls.push({ method: 'sellerAccount', args: [tenantId, refresh] });
    return this.sellers.get(tenantId) ?? null;
  }

  async sellerFinance(tenantId: string): Promise<SellerFinance> {
    this.calls.push({ method: 'sellerFinance', args: [tenantId] });
    return {
      currency: 'usd',
      balanceCents: 1_600,
      grossCents: 2_000,
      feesCents: 400,
      refundsCents: 0,
      netCents: 1_600,
      transactions: [
        {
          id: 'txn_1',
          type: 'payment',
          amountCents: 2_000,
          feeCents: 400,
          netCents: 1_600,
          currency: 'usd',
          created: new Date(0).toISOString(),
          description: null,
        },
      ],
    };
  }

  /** Test control: the seller finished Connect onboarding. */
  onboard(tenantId: string): void {
    this.sellers.set(tenantId, {
      stripeAccountId: `acct_${tenantId.slice(0, 8)}`,
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
    });
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

export interface SeededTenant {
  scope: MarketplaceScope;
  userId: string;
  strategyId: string;
  versionIds: string[];
  accountId: string;
}

/** A tenant with a person, a paper account and a strategy with `versions` versions (rows written directly). */
export async function seedTenant(db: Db, name: string, versions = 1): Promise<SeededTenant> {
  const tenantId = randomUUID();
  const userId = randomUUID();
  await db.tenant.create({ data: { id: tenantId, name } });
  await db.user.create({
    data: { id: userId, email: `${userId}@example.test`, name: `${name} person`, passwordHash: 'x' },
  });
  const account = await db.paperAccount.create({ data: { tenantId, name: 'main' } });
  const strategy = await db.strategy.create({ data: { tenantId, name: `${name} strategy` } });
  const versionIds: string[] = [];
  for (let v = 1; v <= versions; v++) {
    const wasm = Buffer.from(`module ${name} ${v}`);
    const row = await db.strategyVersion.create({
      data: {
        strategyId: strategy.id,
        version: v,
        wasm,
        sha256: createHash('sha256').update(wasm).digest('hex'),
        sizeBytes: wasm.length,
        source: 'upload',
        callbacks: [],
        memoryPages: 1,
      },
    });
    versionIds.push(row.id);
  }
  return {
    scope: { tenantId, actor: `user:${userId}`, tier: 'PRO', tenantName: name, userId },
    userId,
    strategyId: strategy.id,
    versionIds,
    accountId: account.id,
  };
}

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

export async function appCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'no error';
}
