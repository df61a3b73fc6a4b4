import type {
  AmendOrderInput,
  BalanceView,
  FillView,
  Instrument,
  KillSwitchInput,
  KillSwitchView,
  LedgerEntryView,
  listOrdersInput,
  OrderView,
  Page,
  PaperAccountView,
  PlaceOrderInput,
  PositionView,
  pnlSchema,
  Quote,
  TenantScope,
  Trade,
  TradingPort,
} from '@qt/shared';
import { AMOUNT_SCALE, parseScaled } from '@qt/shared';
import {
  asAppError,
  assertStorable,
  type DepthSource,
  type MatchingEvent,
  type Posting,
  type RiskLimitsInput,
  type RiskView,
} from '@qt/trading';
import type { z } from 'zod';
import { balanceViews, ownAccount, refreshTenantTiers } from './account-access.ts';
import * as funding from './account-funding.ts';
import * as reads from './account-reads.ts';
import { applyEvent, routeEvent } from './event-application.ts';
import { amendOrder } from './order-amend.ts';
import * as cancellation from './order-cancellation.ts';
import * as placement from './order-placement.ts';
import { type HoldStatus, holdStatus, isHeld, stopRetries } from './persistence-hold.ts';
import { recover } from './recovery.ts';
import * as riskAdmin from './risk-admin.ts';
import { createTradingState, type TradingServiceOptions, type TradingState } from './trading-state.ts';

export type { HoldStatus } from './persistence-hold.ts';
export type { TradingServiceOptions } from './trading-state.ts';

export interface AccountStateSnapshot {
  balances: BalanceView[];
  positions: unknown[];
  openOrders: unknown[];
  openIndex: unknown[];
}

/** A JSON-safe copy (bigints as decimal strings), for comparisons. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
export type KillSwitchRequest = KillSwitchInput;

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
 *
 * This class is the facade: the work is done by the modules beside it, which share one `TradingState`
 * (trading-state.ts).
 */
export class TradingService implements TradingPort {
  readonly #s: TradingState;

  constructor(options: TradingServiceOptions) {
    this.#s = createTradingState(options, (e) => routeEvent(this.#s, e));
  }

  // ---- wiring: instruments, market data, recovery ----------------------------------------------------

  setInstrument(instrument: Instrument): void {
    this.#s.matcher.setInstrument(instrument);
  }

  /** Takers on this instrument walk the live L2 book while `source` has one (null: modelled depth). */
  setDepthSource(venue: string, symbol: string, source: DepthSource | null): void {
    this.#s.matcher.setDepthSource(venue, symbol, source);
  }

  onTrade(trade: Trade): void {
    this.#s.marks.onTrade(trade);
    this.#s.matcher.onTrade(trade);
  }

  onQuote(quote: Quote): void {
    this.#s.marks.onQuote(quote);
    this.#s.matcher.onQuote(quote);
  }

  /** Whether a last trade price and a best ask are known for the instrument (a market order can size). */
  hasMarket(venue: string, symbol: string): boolean {
    return this.#s.marks.last(venue, symbol) !== null && this.#s.marks.ask(venue, symbol) !== null;
  }

  /** Activates orders whose simulated latency has passed (call on a timer when latency is on). */
  advance(): void {
    this.#s.matcher.advance();
  }

  /** Resolves once every queued change has been persisted (tests, shutdown). */
  idle(): Promise<void> {
    return this.#s.queue.idle();
  }

  /**
   * Whether the account's changes wait for the database (new calls on it get SERVICE_UNAVAILABLE): a
   * deployment on it holds its calls back until this is false (deployment-runner.ts).
   */
  isAccountHeld(accountId: string): boolean {
    return isHeld(this.#s, accountId);
  }

  /** Accounts whose changes wait for the database, and the buffer's size (metrics, tests). */
  persistenceHolds(): HoldStatus {
    return holdStatus(this.#s);
  }

  /**
   * Shutdown: stops retrying held changes after one last attempt within `budgetMs` (see
   * persistence-hold.ts) and reports what was left.
   */
  stopRetries(budgetMs = 0): Promise<HoldStatus> {
    return stopRetries(this.#s, budgetMs);
  }

  /**
   * What recovery rebuilds from the database, per account, in a comparable form (bigints as decimal
   * strings): balances, positions, the matcher's open orders and the risk checks' open-order index.
   * A live service and a fresh one recovered from its database must agree.
   */
  stateSnapshot(): Record<string, AccountStateSnapshot> {
    const out: Record<string, AccountStateSnapshot> = {};
    const ids = [...this.#s.accounts.keys()].sort();
    for (const id of ids) {
      out[id] = {
        balances: balanceViews(this.#s, id),
        positions: this.#s.book.positions
          .list(id)
          .map((p) => plain(p))
          .sort(byJson),
        openOrders: this.#s.matcher
          .openOrders(id)
          .map((o) =>
            plain({
              id: o.id,
              status: o.status,
              quantity: o.quantity,
              filledQuantity: o.filledQuantity,
              filledQuote: o.filledQuote,
              fees: o.fees,
            }),
          )
          .sort(byJson),
        openIndex: [...this.#s.book.openOrders(id).entries()].map((e) => plain(e)).sort(byJson),
      };
    }
    return out;
  }

  /** Rebuilds the state from the database (see recovery.ts). Call once, after `setInstrument`. */
  recover(journal: AsyncIterable<Posting>): Promise<{ postings: number; openOrders: number }> {
    return recover(this.#s, journal);
  }

  // ---- accounts and funding ------------------------------------------------------------------------

  async createAccount(
    scope: TenantScope,
    input: { name: string; quoteCurrency: string; initialDeposit?: string | undefined },
  ): Promise<PaperAccountView> {
    const { initialDeposit, ...account } = input;
    // An amount the ledger cannot hold is refused before the account exists, not after.
    if (initialDeposit !== undefined) {
      try {
        assertStorable('amount', parseScaled(initialDeposit, AMOUNT_SCALE));
      } catch (err) {
        throw asAppError(err);
      }
    }
    const created = await funding.createAccount(this.#s, scope, account);
    if (initialDeposit !== undefined) {
      await funding.transfer(
        this.#s,
        scope,
        { accountId: created.id, asset: created.quoteCurrency, amount: initialDeposit },
        'deposit',
      );
    }
    return created;
  }

  listAccounts(scope: TenantScope): Promise<PaperAccountView[]> {
    return funding.listAccounts(this.#s, scope);
  }

  deposit(scope: TenantScope, input: funding.TransferInput): Promise<BalanceView[]> {
    return funding.transfer(this.#s, scope, input, 'deposit');
  }

  withdraw(scope: TenantScope, input: funding.TransferInput): Promise<BalanceView[]> {
    return funding.transfer(this.#s, scope, input, 'withdrawal');
  }

  balances(scope: TenantScope, accountId: string): Promise<BalanceView[]> {
    return reads.balances(this.#s, scope, accountId);
  }

  positions(scope: TenantScope, accountId: string): Promise<PositionView[]> {
    return reads.positions(this.#s, scope, accountId);
  }

  pnl(scope: TenantScope, accountId: string): Promise<z.infer<typeof pnlSchema>> {
    return reads.pnl(this.#s, scope, accountId);
  }

  ledger(scope: TenantScope, input: reads.PageInput): Promise<Page<LedgerEntryView>> {
    return reads.ledgerEntries(this.#s, scope, input);
  }

  // ---- orders --------------------------------------------------------------------------------------

  /** The one entry point for every order (person, script or strategy): risk first, then the matcher. */
  placeOrder(scope: TenantScope, input: PlaceOrderInput): Promise<OrderView> {
    return placement.placeOrder(this.#s, scope, input);
  }

  cancelOrder(scope: TenantScope, input: { accountId: string; orderId: string }): Promise<OrderView> {
    return cancellation.cancelOrder(this.#s, scope, input);
  }

  cancelAll(
    scope: TenantScope,
    input: { accountId: string; venue?: string | undefined; symbol?: string | undefined },
  ): Promise<{ canceled: number }> {
    return cancellation.cancelAll(this.#s, scope, input);
  }

  /** Moves a resting limit order to a new price (cancel-replace on the account's queue, order-amend.ts). */
  amendOrder(scope: TenantScope, input: AmendOrderInput): Promise<OrderView> {
    return amendOrder(this.#s, scope, input);
  }

  getOrder(scope: TenantScope, input: { accountId: string; orderId: string }): Promise<OrderView> {
    return reads.getOrder(this.#s, scope, input);
  }

  listOrders(scope: TenantScope, input: z.infer<typeof listOrdersInput>): Promise<Page<OrderView>> {
    return reads.listOrders(this.#s, scope, input);
  }

  listFills(scope: TenantScope, input: reads.PageInput): Promise<Page<FillView>> {
    return reads.listFills(this.#s, scope, input);
  }

  orderUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<OrderView> {
    ownAccount(this.#s, scope, accountId);
    return this.#s.orderHub.subscribe(accountId, signal);
  }

  fillUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<FillView> {
    ownAccount(this.#s, scope, accountId);
    return this.#s.fillHub.subscribe(accountId, signal);
  }

  balanceUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<BalanceView[]> {
    ownAccount(this.#s, scope, accountId);
    return this.#s.balanceHub.subscribe(accountId, signal);
  }

  /** Live subscriptions of an account, all kinds together (metrics, tests). */
  liveSubscribers(accountId: string): number {
    return (
      this.#s.orderHub.subscriberCount(accountId) +
      this.#s.fillHub.subscriberCount(accountId) +
      this.#s.balanceHub.subscriberCount(accountId)
    );
  }

  // ---- risk ----------------------------------------------------------------------------------------

  /** A tier change (any engine): re-reads the cached tiers of `tenantIds` (all when null). */
  refreshTenantTiers(tenantIds: readonly string[] | null): Promise<number> {
    return refreshTenantTiers(this.#s, tenantIds);
  }

  riskView(scope: TenantScope, accountId: string): Promise<RiskView> {
    return riskAdmin.riskView(this.#s, scope, accountId);
  }

  updateRiskLimits(
    scope: TenantScope,
    input: { accountId: string; limits: RiskLimitsInput },
  ): Promise<RiskView> {
    return riskAdmin.updateRiskLimits(this.#s, scope, input);
  }

  setKillSwitch(scope: TenantScope, input: KillSwitchRequest): Promise<KillSwitchView> {
    return riskAdmin.setKillSwitch(this.#s, scope, input);
  }

  // ---- events --------------------------------------------------------------------------------------

  /**
   * Persists one matcher event, then applies it in memory and pushes it. Runs on the account's queue.
   * Public for tests that replay an event (a redelivery must change nothing).
   */
  async applyEvent(e: MatchingEvent): Promise<void> {
    await this.#s.queue.run(e.order.accountId, () => applyEvent(this.#s, e));
  }
}
