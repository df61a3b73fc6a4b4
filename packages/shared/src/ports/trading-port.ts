import type { z } from 'zod';
import type {
  AmendOrderInput,
  BalanceView,
  FillView,
  KillSwitchInput,
  LedgerEntryView,
  listOrdersInput,
  OrderView,
  PaperAccountView,
  PlaceManyItemResult,
  PlaceOrderInput,
  PositionView,
  pnlSchema,
} from '../index.ts';
import type { RiskLimitsInput, RiskView } from '../trading/risk-schemas.ts';
import type { Page, TenantScope } from './scopes.ts';

/**
 * What the API needs from the paper-trading engine. Implemented by the engine (matcher, ledger, risk,
 * persistence); every method checks that the account belongs to `scope.tenantId` and answers
 * NOT_FOUND otherwise, exactly as for an id that does not exist.
 */
export interface TradingPort {
  /** With `initialDeposit`, also deposits that much of the quote currency before answering. */
  createAccount(
    scope: TenantScope,
    input: { name: string; quoteCurrency: string; initialDeposit?: string | undefined },
  ): Promise<PaperAccountView>;
  listAccounts(scope: TenantScope): Promise<PaperAccountView[]>;
  deposit(
    scope: TenantScope,
    input: { accountId: string; asset: string; amount: string },
  ): Promise<BalanceView[]>;
  withdraw(
    scope: TenantScope,
    input: { accountId: string; asset: string; amount: string },
  ): Promise<BalanceView[]>;
  balances(scope: TenantScope, accountId: string): Promise<BalanceView[]>;
  positions(scope: TenantScope, accountId: string): Promise<PositionView[]>;
  pnl(scope: TenantScope, accountId: string): Promise<z.infer<typeof pnlSchema>>;
  ledger(
    scope: TenantScope,
    input: { accountId: string; limit: number; before?: string | undefined },
  ): Promise<Page<LedgerEntryView>>;

  placeOrder(scope: TenantScope, input: PlaceOrderInput): Promise<OrderView>;
  /**
   * Optional: places a batch natively. Without it, `placeMany` (place-many.ts) calls `placeOrder` per
   * item. Either way: each item answered on its own, in input order; one account's items in input order.
   */
  placeMany?(scope: TenantScope, inputs: readonly PlaceOrderInput[]): Promise<PlaceManyItemResult[]>;
  cancelOrder(scope: TenantScope, input: { accountId: string; orderId: string }): Promise<OrderView>;
  cancelAll(
    scope: TenantScope,
    input: { accountId: string; venue?: string | undefined; symbol?: string | undefined },
  ): Promise<{ canceled: number }>;
  /**
   * Moves a resting limit order to a new price: cancel and replace (remaining quantity, same side, time in
   * force and post-only) in one step; answers the replacement. A refusal found before the cancel leaves
   * the order as it was; `ORDER_NOT_OPEN` when it filled or ended meanwhile.
   */
  amendOrder(scope: TenantScope, input: AmendOrderInput): Promise<OrderView>;
  getOrder(scope: TenantScope, input: { accountId: string; orderId: string }): Promise<OrderView>;
  listOrders(scope: TenantScope, input: z.infer<typeof listOrdersInput>): Promise<Page<OrderView>>;
  listFills(
    scope: TenantScope,
    input: { accountId: string; limit: number; before?: string | undefined },
  ): Promise<Page<FillView>>;

  /** Live pushes for one account, until `signal` aborts. */
  orderUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<OrderView>;
  fillUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<FillView>;
  balanceUpdates(scope: TenantScope, accountId: string, signal: AbortSignal): AsyncIterable<BalanceView[]>;

  /** The account's risk panel: limits in effect, usage, status (active, reduce-only, halted). */
  riskView(scope: TenantScope, accountId: string): Promise<RiskView>;
  /** Replaces the account's overrides (absent = tier default); platform limits only up to the tier. */
  updateRiskLimits(
    scope: TenantScope,
    input: { accountId: string; limits: RiskLimitsInput },
  ): Promise<RiskView>;
  /** Halts (or resumes) one account or the whole tenant; who and when come from the scope and clock. */
  setKillSwitch(scope: TenantScope, input: KillSwitchInput): Promise<KillSwitchView>;
}

export interface KillSwitchView {
  scope: 'account' | 'tenant';
  accountId: string | null;
  halted: boolean;
  by: string;
  at: number;
  reason: string;
}
