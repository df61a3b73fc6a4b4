import { randomUUID } from 'node:crypto';
import type { KillSwitchView, Page, TenantScope, TradingPort } from '@qt/api';
import { type Db, Prisma } from '@qt/db';
import {
  AMOUNT_SCALE,
  AppError,
  type BalanceView,
  type Clock,
  divRound,
  type ErrorCode,
  type FillView,
  type Instrument,
  type KillSwitchInput,
  type LedgerEntryView,
  type listOrdersInput,
  notFound,
  type OrderView,
  type PaperAccountView,
  type PlaceOrderInput,
  type PositionView,
  parseScaled,
  type pnlSchema,
  pow10n,
  type Quote,
  type Trade,
} from '@qt/shared';
import {
  accountEquity,
  checkOverridesForTier,
  DEFAULT_FEE_SCHEDULE,
  DEFAULT_SLIPPAGE,
  depositPosting,
  type FeeSchedule,
  FeeTable,
  fillPosting,
  Ledger,
  type MatchingEvent,
  type OrderSnapshot,
  orderLockPosting,
  orderUnlockPosting,
  PaperMatchingEngine,
  PositionBook,
  type Posting,
  positionFillFromPosting,
  RiskEngine,
  type RiskLimitsInput,
  type RiskView,
  realizedPnl,
  remainingReservation,
  riskOrderFromInput,
  riskRejectionToAppError,
  type SlippageModel,
  toBalanceView,
  toFillView,
  toOrderView,
  toPositionView,
  toRiskLimitOverrides,
  unrealizedPnl,
  withdrawalPosting,
} from '@qt/trading';
import type pg from 'pg';
import type { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import { fmt, toDecimal } from './amounts.ts';
import { GroupCommit } from './group-commit.ts';
import { insertFill } from './journal-writes.ts';
import { asAppError, assertApplies } from './ledger-guard.ts';
import { MarketMarks } from './market-marks.ts';
import { orderRowToView } from './order-rows.ts';
import {
  type AccountMeta,
  accountMetaOf,
  DayBook,
  type OpenOrderInfo,
  riskContextOf,
  type TenantMeta,
  tenantMetaOf,
} from './risk-inputs.ts';
import { KeyedSerialQueue } from './serial-queue.ts';
import { listFillRows, listLedgerRows, listOrderRows } from './trading-queries.ts';
import { UpdateHub } from './update-hub.ts';

const ONE = pow10n(AMOUNT_SCALE);

export interface TradingServiceOptions {
  db: Db;
  /** The hot path's writes (orders, fills, postings) go through `pg` directly, one statement each. */
  pool: pg.Pool;
  clock: Clock;
  logger: Logger;
  fees?: FeeSchedule;
  slippage?: Partial<SlippageModel>;
  latencyMs?: number;
}

export type KillSwitchRequest = KillSwitchInput;

/** Events of one matcher call, held back so the call's own task persists them before it answers. */
interface Capture {
  accountId: string;
  orderId: string | null;
  events: MatchingEvent[];
}

/**
 * Paper trading behind the API's `TradingPort`: pre-trade risk, the paper matcher, the double-entry
 * ledger, positions and their persistence.
 *
 * Consistency: every change of an account runs as one task on that account's serial queue. A task checks
 * the change against the in-memory ledger, commits it to PostgreSQL in one transaction (order row,
 * posting, entries, balance rows, fill row), and only then applies it in memory and answers. Market
 * events that fill resting orders are queued on the owning account's queue in the order the matcher
 * emitted them. A fill's row has the matcher's deterministic fill id as its key, so it is stored (and
 * booked) at most once.
 */
export class TradingService implements TradingPort {
  readonly #db: Db;
  readonly #pool: pg.Pool;
  readonly #journal: GroupCommit;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #matcher: PaperMatchingEngine;
  readonly #fees: FeeTable;
  readonly #maxSlippageBps: number;
  readonly #risk: RiskEngine;
  readonly #queue = new KeyedSerialQueue();
  readonly #marks = new MarketMarks();
  readonly #days = new DayBook();
  readonly #accounts = new Map<string, AccountMeta>();
  readonly #tenants = new Map<string, TenantMeta>();
  readonly #open = new Map<string, Map<string, OpenOrderInfo>>();
  readonly #orderHub = new UpdateHub<OrderView>();
  readonly #fillHub = new UpdateHub<FillView>();
  readonly #balanceHub = new UpdateHub<BalanceView[]>();
  #ledger = new Ledger();
  #positions = new PositionBook();
  #capture: Capture | null = null;

  constructor(options: TradingServiceOptions) {
    this.#db = options.db;
    this.#pool = options.pool;
    this.#journal = new GroupCommit(options.pool);
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'trading' });
    const fees = options.fees ?? DEFAULT_FEE_SCHEDULE;
    this.#fees = new FeeTable(fees);
    this.#maxSlippageBps = options.slippage?.maxSlippageBps ?? DEFAULT_SLIPPAGE.maxSlippageBps;
    this.#matcher = new PaperMatchingEngine({
      clock: options.clock,
      onEvent: (e) => this.#route(e),
      fees,
      ...(options.slippage ? { slippage: options.slippage } : {}),
      ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    });
    this.#risk = new RiskEngine(options.clock);
  }

  // ---- wiring: instruments, market data, recovery ----------------------------------------------------

  setInstrument(instrument: Instrument): void {
    this.#matcher.setInstrument(instrument);
  }

  onTrade(trade: Trade): void {
    this.#marks.onTrade(trade);
    this.#matcher.onTrade(trade);
  }

  onQuote(quote: Quote): void {
    this.#marks.onQuote(quote);
    this.#matcher.onQuote(quote);
  }

  /** Whether a last trade price and a best ask are known for the instrument (a market order can size). */
  hasMarket(venue: string, symbol: string): boolean {
    return this.#marks.last(venue, symbol) !== null && this.#marks.ask(venue, symbol) !== null;
  }

  /** Activates orders whose simulated latency has passed (call on a timer when latency is on). */
  advance(): void {
    this.#matcher.advance();
  }

  /** Resolves once every queued change has been persisted (tests, shutdown). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Rebuilds the state from the database: accounts, the ledger (postings replayed in commit order, which
   * also restores every order's reservation), positions (from the fill postings) and the open orders,
   * put back into the matcher without matching them again. Call once, after `setInstrument`, before
   * market data flows.
   */
  async recover(journal: AsyncIterable<Posting>): Promise<{ postings: number; openOrders: number }> {
    const [accounts, tenants] = await Promise.all([
      this.#db.paperAccount.findMany(),
      this.#db.tenant.findMany({ where: { paperAccounts: { some: {} } } }),
    ]);
    for (const a of accounts) this.#accounts.set(a.id, accountMetaOf(a));
    for (const t of tenants) this.#tenants.set(t.id, tenantMetaOf(t));
    const ledger = new Ledger();
    const positions = new PositionBook();
    let postings = 0;
    for await (const p of journal) {
      ledger.apply(p);
      const fill = positionFillFromPosting(p);
      if (fill) positions.apply(fill);
      postings++;
    }
    this.#ledger = ledger;
    this.#positions = positions;
    await this.#checkBalances();

    const rows = await this.#db.order.findMany({
      where: { status: { in: ['new', 'partially_filled'] } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    let restored = 0;
    for (const row of rows) {
      const r = ledger.order(row.id);
      if (r?.status !== 'open') {
        this.#logger.error({ orderId: row.id }, 'open order without an open reservation: left as is');
        continue;
      }
      this.#trackOpen(r.accountId, row.id, r);
      const canRest =
        row.timeInForce === 'GTC' &&
        (row.type === 'limit' || row.type === 'stop_limit' || row.type === 'stop_market');
      const fillCount = r.seq - 1;
      const ok =
        canRest &&
        this.#matcher.restoreOrder({
          orderId: row.id,
          accountId: row.accountId,
          clientOrderId: row.clientOrderId,
          venue: row.venue,
          symbol: row.symbol,
          side: row.side,
          type: row.type,
          timeInForce: row.timeInForce,
          postOnly: row.postOnly,
          quantity: r.quantity,
          price: row.price === null ? null : r.limitPrice,
          stopPrice: row.stopPrice === null ? null : parseScaled(row.stopPrice.toFixed(), AMOUNT_SCALE),
          filledQuantity: r.filledQuantity,
          filledQuote: r.filledQuote,
          fees: r.feeTotal,
          notionalExact: r.notionalExact,
          feeExact: r.feeExact,
          fillCount,
          createdAt: row.createdAt.getTime(),
          updatedAt: row.updatedAt.getTime(),
        });
      if (ok) {
        restored++;
        continue;
      }
      // It cannot rest again (an IOC caught mid-flight by a crash, or its instrument is gone): it ends
      // as expired and releases what it holds, as it would have without the restart.
      const snap: Pick<OrderSnapshot, 'id' | 'accountId' | 'status' | 'reason' | 'updatedAt'> = {
        id: row.id,
        accountId: row.accountId,
        status: 'expired',
        reason: 'IOC_UNFILLED',
        updatedAt: this.#clock.now(),
      };
      await this.#queue.run(row.accountId, () => this.#closeOrder(snap));
    }
    this.#logger.info({ postings, openOrders: restored }, 'paper trading state recovered');
    return { postings, openOrders: restored };
  }

  async #checkBalances(): Promise<void> {
    const rows = await this.#db.balance.findMany();
    const mismatches: string[] = [];
    for (const row of rows) {
      const live = this.#ledger.balances(row.accountId).find((b) => b.asset === row.asset);
      const free = live?.free ?? 0n;
      const locked = live?.locked ?? 0n;
      if (
        toDecimal(free).toFixed() !== row.free.toFixed() ||
        toDecimal(locked).toFixed() !== row.locked.toFixed()
      )
        mismatches.push(`${row.accountId}/${row.asset}`);
    }
    if (mismatches.length > 0)
      this.#logger.error({ mismatches }, 'balances table disagrees with the ledger journal');
  }

  // ---- accounts and funding ------------------------------------------------------------------------

  async createAccount(
    scope: TenantScope,
    input: { name: string; quoteCurrency: string },
  ): Promise<PaperAccountView> {
    try {
      const row = await this.#db.paperAccount.create({
        data: { tenantId: scope.tenantId, name: input.name, quoteCurrency: input.quoteCurrency },
      });
      const meta = accountMetaOf(row);
      this.#accounts.set(row.id, meta);
      await this.#tenant(scope.tenantId);
      return this.#accountView(meta);
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new AppError(
          'PAPER_ACCOUNT_NAME_TAKEN',
          `A paper account named "${input.name}" exists already. Pick another name.`,
        );
      }
      throw err;
    }
  }

  async listAccounts(scope: TenantScope): Promise<PaperAccountView[]> {
    const tenant = await this.#tenant(scope.tenantId);
    return [...this.#accounts.values()]
      .filter((a) => a.tenantId === scope.tenantId)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      .map((a) => this.#accountView(a, tenant));
  }

  deposit(scope: TenantScope, input: { accountId: string; asset: string; amount: string }) {
    return this.#transfer(scope, input, 'deposit');
  }

  withdraw(scope: TenantScope, input: { accountId: string; asset: string; amount: string }) {
    return this.#transfer(scope, input, 'withdrawal');
  }

  async #transfer(
    scope: TenantScope,
    input: { accountId: string; asset: string; amount: string },
    kind: 'deposit' | 'withdrawal',
  ): Promise<BalanceView[]> {
    const account = this.#own(scope, input.accountId);
    return this.#queue.run(account.id, async () => {
      const funding = {
        id: randomUUID(),
        accountId: account.id,
        asset: input.asset,
        amount: parseScaled(input.amount, AMOUNT_SCALE),
        time: this.#clock.now(),
      };
      try {
        const posting = kind === 'deposit' ? depositPosting(funding) : withdrawalPosting(funding);
        assertApplies(this.#ledger, posting);
        await this.#journal.write({ tenantId: account.tenantId, posting });
        this.#applied(posting);
        const signed = kind === 'deposit' ? funding.amount : -funding.amount;
        this.#days.onTransfer(this.#ledger, account.id, input.asset, signed, funding.time);
      } catch (err) {
        throw asAppError(err);
      }
      return this.#balanceViews(account.id);
    });
  }

  async balances(scope: TenantScope, accountId: string): Promise<BalanceView[]> {
    this.#own(scope, accountId);
    return this.#balanceViews(accountId);
  }

  async positions(scope: TenantScope, accountId: string): Promise<PositionView[]> {
    this.#own(scope, accountId);
    return this.#positions
      .list(accountId)
      .map((p) => toPositionView(p, this.#marks.pricesFor(p.venue, p.symbol)));
  }

  async pnl(scope: TenantScope, accountId: string): Promise<z.infer<typeof pnlSchema>> {
    const account = this.#own(scope, accountId);
    let realized = 0n;
    let unrealized: bigint | null = 0n;
    for (const p of this.#positions.list(accountId)) {
      realized += realizedPnl(p);
      if (p.quantity === 0n) continue;
      const mark = this.#marks.last(p.venue, p.symbol);
      unrealized = mark === null || unrealized === null ? null : unrealized + unrealizedPnl(p, mark);
    }
    const equity = accountEquity(
      this.#ledger.balances(accountId),
      account.quoteCurrency,
      this.#marks.prices(),
    );
    return {
      quoteCurrency: account.quoteCurrency,
      equity: equity.complete ? fmt(equity.equity) : null,
      realizedPnl: fmt(realized),
      unrealizedPnl: unrealized === null ? null : fmt(unrealized),
      unpriced: equity.complete ? [] : [...equity.unpriced],
    };
  }

  async ledger(
    scope: TenantScope,
    input: { accountId: string; limit: number; before?: string | undefined },
  ): Promise<Page<LedgerEntryView>> {
    this.#own(scope, input.accountId);
    return listLedgerRows(this.#db, input);
  }

  // ---- orders --------------------------------------------------------------------------------------

  /** The one entry point for every order (person, script or strategy): risk first, then the matcher. */
  async placeOrder(scope: TenantScope, input: PlaceOrderInput): Promise<OrderView> {
    const account = this.#own(scope, input.accountId);
    const tenant = await this.#tenant(account.tenantId);
    return this.#queue.run(account.id, () => this.#place(account, tenant, input));
  }

  async #place(account: AccountMeta, tenant: TenantMeta, input: PlaceOrderInput): Promise<OrderView> {
    if (input.clientOrderId !== undefined) {
      const existing = await this.#db.order.findUnique({
        where: { accountId_clientOrderId: { accountId: account.id, clientOrderId: input.clientOrderId } },
      });
      if (existing) return orderRowToView(existing);
    }
    const now = this.#clock.now();
    const decision = this.#risk.check(riskOrderFromInput(input), this.#riskContext(account, tenant, input));
    if (!decision.ok) throw riskRejectionToAppError(decision.rejection);

    const orderId = randomUUID();
    let lock: Posting;
    try {
      lock = orderLockPosting({
        orderId,
        accountId: account.id,
        venue: input.venue,
        symbol: input.symbol,
        side: input.side,
        quantity: parseScaled(input.quantity, AMOUNT_SCALE),
        limitPrice: input.price === undefined ? null : parseScaled(input.price, AMOUNT_SCALE),
        quoteBudget: this.#quoteBudget(input),
        takerFeeRate: this.#fees.rates(input.venue, 'default').taker,
        time: now,
      });
      assertApplies(this.#ledger, lock);
    } catch (err) {
      throw asAppError(err);
    }

    const request = {
      orderId,
      accountId: account.id,
      clientOrderId: input.clientOrderId ?? null,
      venue: input.venue,
      symbol: input.symbol,
      side: input.side,
      type: input.type,
      quantity: input.quantity,
      price: input.price ?? null,
      stopPrice: input.stopPrice ?? null,
      timeInForce: input.timeInForce,
      postOnly: input.postOnly,
    };
    let snapshot: OrderSnapshot | undefined;
    const events = this.#captured(account.id, orderId, () => {
      snapshot = this.#matcher.placeOrder(request);
    });
    const placed = snapshot as OrderSnapshot;
    const rejected = events.find((e) => e.type === 'orderRejected');
    if (rejected?.type === 'orderRejected' && !events.some((e) => e.type === 'orderAccepted')) {
      throw new AppError(rejected.reason as ErrorCode, rejectionMessage(rejected.reason), {
        reason: rejected.reason,
      });
    }

    try {
      await this.#journal.write({
        tenantId: account.tenantId,
        posting: lock,
        order: {
          id: orderId,
          tenantId: account.tenantId,
          accountId: account.id,
          clientOrderId: request.clientOrderId,
          venue: input.venue,
          symbol: input.symbol,
          side: input.side,
          type: input.type,
          timeInForce: input.timeInForce,
          postOnly: placed.postOnly,
          quantity: placed.quantity,
          price: placed.price,
          stopPrice: placed.stopPrice,
          lockedAmount: remainingReservation(lock.order as NonNullable<Posting['order']>),
          lockedAsset: lock.order?.lockedAsset ?? '',
          createdAt: placed.createdAt,
        },
      });
    } catch (err) {
      // Not stored, so not placed: take it out of the matcher again (its events are dropped).
      this.#captured(account.id, orderId, () => this.#matcher.cancelOrder(account.id, orderId));
      throw err;
    }
    this.#applied(lock);
    let last: OrderSnapshot = placed;
    for (const e of events) {
      await this.#applyEvent(e);
      last = e.order;
    }
    return toOrderView(last);
  }

  /** What a market (or stop-market) buy may spend: quantity x top x (1 + the slippage cap). */
  #quoteBudget(input: PlaceOrderInput): bigint | null {
    if (input.side !== 'buy' || input.price !== undefined) return null;
    const last = this.#marks.last(input.venue, input.symbol) ?? 0n;
    const ask = this.#marks.ask(input.venue, input.symbol) ?? 0n;
    const stop = input.stopPrice === undefined ? 0n : parseScaled(input.stopPrice, AMOUNT_SCALE);
    let top = last > ask ? last : ask;
    if (stop > top) top = stop;
    if (top === 0n) {
      throw new AppError('MARKET_NO_DATA', rejectionMessage('MARKET_NO_DATA'), { reason: 'MARKET_NO_DATA' });
    }
    // A stop can trigger into a moving market: it reserves twice the cap (see README: known limits).
    const bps = BigInt(this.#maxSlippageBps * (input.type === 'stop_market' ? 2 : 1));
    const notional = divRound(parseScaled(input.quantity, AMOUNT_SCALE) * top, ONE, 'ceil');
    return divRound(notional * (10_000n + bps), 10_000n, 'ceil');
  }

  async cancelOrder(scope: TenantScope, input: { accountId: string; orderId: string }): Promise<OrderView> {
    const account = this.#own(scope, input.accountId);
    const outcome = await this.#queue.run(account.id, async () => {
      const events = this.#captured(account.id, null, () =>
        this.#matcher.cancelOrder(account.id, input.orderId),
      );
      for (const e of events) await this.#applyEvent(e);
      const done = events.find((e) => e.order.id === input.orderId && e.type === 'orderCanceled');
      return done ? toOrderView(done.order) : null;
    });
    if (outcome) return outcome;
    // Not open in the matcher: unknown, another tenant's, or already done (its last events may still be
    // queued, so read it after them).
    return this.#queue.run(account.id, async () => {
      const row = await this.#db.order.findFirst({ where: { id: input.orderId, accountId: account.id } });
      if (!row) throw notFound('Order');
      throw new AppError('ORDER_NOT_OPEN', `This order is ${row.status}; only open orders can be canceled.`, {
        status: row.status,
      });
    });
  }

  async cancelAll(
    scope: TenantScope,
    input: { accountId: string; venue?: string | undefined; symbol?: string | undefined },
  ): Promise<{ canceled: number }> {
    const account = this.#own(scope, input.accountId);
    return this.#queue.run(account.id, async () => {
      let canceled = 0;
      const events = this.#captured(account.id, null, () => {
        canceled = this.#matcher.cancelAll(account.id, {
          ...(input.venue ? { venue: input.venue } : {}),
          ...(input.symbol ? { symbol: input.symbol } : {}),
        });
      });
      for (const e of events) await this.#applyEvent(e);
      return { canceled };
    });
  }

  async getOrder(scope: TenantScope, input: { accountId: string; orderId: string }): Promise<OrderView> {
    const account = this.#own(scope, input.accountId);
    const row = await this.#db.order.findFirst({ where: { id: input.orderId, accountId: account.id } });
    if (!row) throw notFound('Order');
    return orderRowToView(row);
  }

  async listOrders(scope: TenantScope, input: z.infer<typeof listOrdersInput>): Promise<Page<OrderView>> {
    this.#own(scope, input.accountId);
    return listOrderRows(this.#db, input);
  }

  async listFills(
    scope: TenantScope,
    input: { accountId: string; limit: number; before?: string | undefined },
  ): Promise<Page<FillView>> {
    this.#own(scope, input.accountId);
    return listFillRows(this.#db, input);
  }

  orderUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<OrderView> {
    this.#own(scope, accountId);
    return this.#orderHub.subscribe(accountId, signal);
  }

  fillUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<FillView> {
    this.#own(scope, accountId);
    return this.#fillHub.subscribe(accountId, signal);
  }

  balanceUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<BalanceView[]> {
    this.#own(scope, accountId);
    return this.#balanceHub.subscribe(accountId, signal);
  }

  /** Live subscriptions of an account, all kinds together (metrics, tests). */
  liveSubscribers(accountId: string): number {
    return (
      this.#orderHub.subscriberCount(accountId) +
      this.#fillHub.subscriberCount(accountId) +
      this.#balanceHub.subscriberCount(accountId)
    );
  }

  // ---- risk ----------------------------------------------------------------------------------------

  async riskView(scope: TenantScope, accountId: string): Promise<RiskView> {
    const account = this.#own(scope, accountId);
    const tenant = await this.#tenant(account.tenantId);
    return this.#risk.view(this.#riskContext(account, tenant, null));
  }

  async updateRiskLimits(
    scope: TenantScope,
    input: { accountId: string; limits: RiskLimitsInput },
  ): Promise<RiskView> {
    const account = this.#own(scope, input.accountId);
    const tenant = await this.#tenant(account.tenantId);
    const overrides = toRiskLimitOverrides(input.limits);
    const refused = checkOverridesForTier(tenant.tier, overrides);
    if (refused) throw refused;
    await this.#db.paperAccount.update({
      where: { id: account.id },
      data: { riskLimits: input.limits as Prisma.InputJsonObject },
    });
    account.overrides = overrides;
    return this.#risk.view(this.#riskContext(account, tenant, null));
  }

  async setKillSwitch(scope: TenantScope, input: KillSwitchRequest): Promise<KillSwitchView> {
    const at = this.#clock.now();
    const reason = input.reason ?? (input.halted ? 'Halted from the dashboard' : 'Resumed');
    const state = { halted: input.halted, by: scope.actor, at, reason };
    const stored = {
      at: input.halted ? new Date(at) : null,
      reason: input.halted ? reason : null,
      by: input.halted ? scope.actor : null,
    };
    if (input.scope === 'tenant') {
      const tenant = await this.#tenant(scope.tenantId);
      await this.#db.tenant.update({
        where: { id: tenant.id },
        data: { tradingHaltedAt: stored.at, tradingHaltedReason: stored.reason, tradingHaltedBy: stored.by },
      });
      tenant.killSwitch = state;
      return { scope: 'tenant', accountId: null, ...state };
    }
    if (!input.accountId) {
      throw new AppError('VALIDATION_FAILED', 'An account kill switch needs the accountId of the account.');
    }
    const account = this.#own(scope, input.accountId);
    await this.#db.paperAccount.update({
      where: { id: account.id },
      data: { haltedAt: stored.at, haltedReason: stored.reason, haltedBy: stored.by },
    });
    account.killSwitch = state;
    return { scope: 'account', accountId: account.id, ...state };
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** The account if it belongs to the caller's tenant; NOT_FOUND otherwise, exactly as for a missing id. */
  #own(scope: TenantScope, accountId: string): AccountMeta {
    const account = this.#accounts.get(accountId);
    if (!account || account.tenantId !== scope.tenantId) throw notFound('Paper account');
    return account;
  }

  async #tenant(tenantId: string): Promise<TenantMeta> {
    let tenant = this.#tenants.get(tenantId);
    if (!tenant) {
      const row = await this.#db.tenant.findUnique({ where: { id: tenantId } });
      if (!row) throw notFound('Tenant');
      tenant = tenantMetaOf(row);
      this.#tenants.set(tenantId, tenant);
    }
    return tenant;
  }

  #accountView(a: AccountMeta, tenant = this.#tenants.get(a.tenantId)): PaperAccountView {
    const halted = Boolean(a.killSwitch?.halted || tenant?.killSwitch?.halted);
    const reduceOnly = this.#risk.state(a.id)?.reduceOnly;
    return {
      id: a.id,
      name: a.name,
      quoteCurrency: a.quoteCurrency,
      status: halted ? 'halted' : reduceOnly ? 'reduce_only' : 'active',
      createdAt: a.createdAt,
    };
  }

  #riskContext(account: AccountMeta, tenant: TenantMeta, order: { venue: string; symbol: string } | null) {
    const now = this.#clock.now();
    const venue = order?.venue ?? null;
    const symbol = order?.symbol ?? null;
    return riskContextOf({
      account,
      tenant,
      open: this.#open.get(account.id)?.values() ?? [],
      venue,
      symbol,
      lastPrice: venue && symbol ? this.#marks.last(venue, symbol) : null,
      position: venue && symbol ? (this.#positions.get(account.id, venue, symbol)?.quantity ?? 0n) : 0n,
      figures: this.#days.figures(this.#ledger, account.id, account.quoteCurrency, this.#marks.prices(), now),
    });
  }

  #balanceViews(accountId: string): BalanceView[] {
    return this.#ledger.balances(accountId).map(toBalanceView);
  }

  /** Runs a matcher call and returns the events it emitted for `orderId` (or the whole account). */
  #captured(accountId: string, orderId: string | null, call: () => unknown): MatchingEvent[] {
    const capture: Capture = { accountId, orderId, events: [] };
    const outer = this.#capture;
    this.#capture = capture;
    try {
      call();
    } finally {
      this.#capture = outer;
    }
    return capture.events;
  }

  /** Every matcher event: held by the call that caused it, or queued on its account. */
  #route(e: MatchingEvent): void {
    const c = this.#capture;
    if (c && c.accountId === e.order.accountId && (c.orderId === null || c.orderId === e.order.id)) {
      c.events.push(e);
      return;
    }
    void this.#queue
      .run(e.order.accountId, () => this.#applyEvent(e))
      .catch((err) =>
        this.#logger.error(
          { err: err instanceof Error ? err.message : String(err), orderId: e.order.id, event: e.type },
          'could not persist a matcher event',
        ),
      );
  }

  /**
   * Persists one matcher event, then applies it in memory and pushes it. Runs on the account's queue.
   * Public for tests that replay an event (a redelivery must change nothing).
   */
  async applyEvent(e: MatchingEvent): Promise<void> {
    await this.#queue.run(e.order.accountId, () => this.#applyEvent(e));
  }

  async #applyEvent(e: MatchingEvent): Promise<void> {
    switch (e.type) {
      case 'orderAccepted':
      case 'orderTriggered':
        this.#orderHub.publish(e.order.accountId, toOrderView(e.order));
        return;
      case 'orderFilled':
        await this.#bookFill(e);
        return;
      case 'orderCanceled':
      case 'orderExpired':
      case 'orderRejected':
        await this.#closeOrder(e.order);
        this.#orderHub.publish(e.order.accountId, toOrderView(e.order));
        return;
    }
  }

  async #bookFill(e: Extract<MatchingEvent, { type: 'orderFilled' }>): Promise<void> {
    const { fill, order } = e;
    if (this.#ledger.posting(`fill:${fill.id}`)) return; // booked already: a redelivery
    const reservation = this.#ledger.order(fill.orderId);
    const account = this.#accounts.get(fill.accountId);
    if (!reservation || !account) {
      this.#logger.error({ fillId: fill.id }, 'fill for an order the ledger does not hold: ignored');
      return;
    }
    const posting = fillPosting(reservation, {
      fillId: fill.id,
      orderId: fill.orderId,
      price: fill.price,
      quantity: fill.quantity,
      feeRate: fill.feeRate,
      time: fill.time,
    });
    assertApplies(this.#ledger, posting);
    const booked = posting.fill as NonNullable<Posting['fill']>;
    const next = posting.order as NonNullable<Posting['order']>;
    const stored = await insertFill(
      this.#pool,
      {
        id: fill.id,
        orderId: fill.orderId,
        accountId: fill.accountId,
        tenantId: account.tenantId,
        venue: fill.venue,
        symbol: fill.symbol,
        side: fill.side,
        price: booked.price,
        quantity: booked.quantity,
        quote: booked.quote,
        fee: booked.fee,
        feeAsset: booked.feeAsset,
        liquidity: fill.liquidity,
        time: fill.time,
      },
      posting,
      {
        id: fill.orderId,
        status: order.status,
        reason: null,
        filledQuantity: next.filledQuantity,
        filledQuote: next.filledQuote,
        lockedAmount: remainingReservation(next),
        updatedAt: order.updatedAt,
      },
    );
    if (!stored) {
      this.#logger.warn({ fillId: fill.id }, 'fill already stored: not booked again');
      return;
    }
    this.#applied(posting);
    this.#fillHub.publish(fill.accountId, {
      ...toFillView(fill),
      quote: fmt(booked.quote),
      fee: fmt(booked.fee),
    });
    this.#orderHub.publish(fill.accountId, toOrderView(order));
  }

  /** A canceled, expired or rejected order: release what it still holds, in one transaction. */
  async #closeOrder(
    order: Pick<OrderSnapshot, 'id' | 'accountId' | 'status' | 'reason' | 'updatedAt'>,
  ): Promise<void> {
    const reservation = this.#ledger.order(order.id);
    const account = this.#accounts.get(order.accountId);
    if (!account) return;
    const unlock =
      reservation?.status === 'open'
        ? orderUnlockPosting(reservation, { orderId: order.id, time: order.updatedAt })
        : null;
    if (unlock) assertApplies(this.#ledger, unlock);
    await this.#journal.write({
      tenantId: account.tenantId,
      posting: unlock,
      update: {
        id: order.id,
        status: order.status,
        reason: order.reason,
        filledQuantity: null,
        filledQuote: null,
        lockedAmount: 0n,
        updatedAt: order.updatedAt,
      },
    });
    if (unlock) this.#applied(unlock);
  }

  /** After commit: the posting into the ledger, positions and the open-order index; pushes balances. */
  #applied(p: Posting): void {
    this.#ledger.apply(p);
    const fill = positionFillFromPosting(p);
    if (fill) this.#positions.apply(fill);
    if (p.order) this.#trackOpen(p.accountId, p.order.orderId, p.order);
    if (this.#balanceHub.subscriberCount(p.accountId) > 0)
      this.#balanceHub.publish(p.accountId, this.#balanceViews(p.accountId));
  }

  #trackOpen(accountId: string, orderId: string, r: NonNullable<Posting['order']>): void {
    let open = this.#open.get(accountId);
    if (r.status === 'open') {
      if (!open) {
        open = new Map();
        this.#open.set(accountId, open);
      }
      open.set(orderId, {
        venue: r.venue,
        symbol: r.symbol,
        side: r.side,
        remaining: r.quantity - r.filledQuantity,
      });
    } else if (open?.delete(orderId) && open.size === 0) this.#open.delete(accountId);
  }
}

function rejectionMessage(reason: string): string {
  switch (reason) {
    case 'ORDER_INVALID_TICK':
      return "The price is not a multiple of the instrument's tick size. Round it to the tick.";
    case 'ORDER_INVALID_LOT':
      return "The quantity is not a multiple of the instrument's lot size. Round it to the lot.";
    case 'ORDER_BELOW_MIN_NOTIONAL':
      return "The order is smaller than the instrument's minimum notional. Increase the quantity.";
    case 'ORDER_INVALID_PRICE':
      return 'The price is not usable for this order type.';
    case 'POST_ONLY_WOULD_TAKE':
      return 'A post-only order would have taken liquidity at this price. Move the price away from the market.';
    case 'MARKET_UNKNOWN_INSTRUMENT':
      return 'This venue does not list that symbol for paper trading.';
    case 'MARKET_HALTED':
      return 'Trading on this instrument is halted. Try again when it resumes.';
    case 'MARKET_NO_DATA':
      return 'No market price for this instrument yet. Wait for market data, or use a limit order.';
    default:
      return `The order was rejected (${reason}).`;
  }
}
