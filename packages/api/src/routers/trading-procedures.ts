import { scopeOf, tradingOf } from '../domains/trading/scope.ts';
import { authedProcedure, manageProcedure, tradeProcedure } from '../trpc.ts';

/**
 * The paper-trading procedures: the credential's scope check and limits as for any call, then the
 * context carries `trading` (the engine's port; SERVICE_UNAVAILABLE when paper trading is not running)
 * and `scope` (the caller's tenant, from the credential only), so a resolver is one call on the port.
 */
function withTrading<P extends typeof authedProcedure>(procedure: P) {
  return procedure.use(({ ctx, next }) =>
    next({ ctx: { trading: tradingOf(ctx.deps), scope: scopeOf(ctx.principal) } }),
  );
}

/** Reading accounts, orders, fills and risk: the `read` scope. */
export const tradingReadProcedure = withTrading(authedProcedure);
/** Funding, placing and cancelling: the `trade` scope. */
export const tradingTradeProcedure = withTrading(tradeProcedure);
/** Risk limits and kill switches: the `manage` scope. */
export const tradingManageProcedure = withTrading(manageProcedure);
