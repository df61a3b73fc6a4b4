import {
  accountIdInput,
  amendOrderInput,
  cancelAllInput,
  listOrdersInput,
  orderIdInput,
  orderSchema,
  ordersPage,
  placeManyOrdersInput,
  placeManyResult,
  placeOrderInput,
} from '@qt/shared';
import { z } from 'zod';
import { checkPlaceManySize, placeMany } from '../domains/trading/place-many.ts';
import { router } from '../trpc.ts';
import { checkOrderCursor } from './cursors.ts';
import { tradingReadProcedure, tradingTradeProcedure } from './trading-procedures.ts';

/**
 * `st.<deployment>.…` client order ids are how the engine tells a strategy's orders apart (its fills go to
 * that deployment's own PnL): an order placed or moved by hand may not take one. A strategy order moved by
 * hand (amend) becomes a manual order.
 */
const reservedTag = {
  path: ['clientOrderId'],
  message: 'Client order ids starting with "st." are reserved for strategy orders.',
};
const notStrategyTagged = (input: { clientOrderId?: string | undefined }) =>
  !input.clientOrderId?.startsWith('st.');

/** Orders: every one passes the risk engine, then the paper matcher. */
export const ordersRouter = router({
  place: tradingTradeProcedure
    .input(placeOrderInput.refine(notStrategyTagged, reservedTag))
    .output(orderSchema)
    .mutation(({ ctx, input }) => ctx.trading.placeOrder(ctx.scope, input)),
  /**
   * Up to the plan's PLACE_MANY_MAX_ORDERS orders in one call, for scripts: each placed as `place` would
   * (risk, order budget, clientOrderId idempotency) and answered on its own, in input order.
   */
  placeMany: tradingTradeProcedure
    .input(
      placeManyOrdersInput.refine((b) => b.orders.every(notStrategyTagged), {
        path: ['orders'],
        message: reservedTag.message,
      }),
    )
    .output(placeManyResult)
    .mutation(({ ctx, input }) => {
      checkPlaceManySize(ctx.principal.tenant.tier, input.orders.length);
      return placeMany(ctx.trading, ctx.scope, input.orders, ctx.deps.logger);
    }),
  cancel: tradingTradeProcedure
    .input(orderIdInput)
    .output(orderSchema)
    .mutation(({ ctx, input }) => ctx.trading.cancelOrder(ctx.scope, input)),
  cancelAll: tradingTradeProcedure
    .input(cancelAllInput)
    .output(z.strictObject({ canceled: z.number().int() }))
    .mutation(({ ctx, input }) => ctx.trading.cancelAll(ctx.scope, input)),
  /** Cancel-replace at a new price (the chart's drag of a limit order's line); answers the new order. */
  amend: tradingTradeProcedure
    .input(amendOrderInput.refine(notStrategyTagged, reservedTag))
    .output(orderSchema)
    .mutation(({ ctx, input }) => ctx.trading.amendOrder(ctx.scope, input)),
  get: tradingReadProcedure
    .input(orderIdInput)
    .output(orderSchema)
    .query(({ ctx, input }) => ctx.trading.getOrder(ctx.scope, input)),
  list: tradingReadProcedure
    .input(listOrdersInput)
    .output(ordersPage)
    .query(async ({ ctx, input }) => {
      checkOrderCursor(input.before);
      const page = await ctx.trading.listOrders(ctx.scope, input);
      return { orders: page.items, next: page.next };
    }),
  onUpdate: tradingReadProcedure.input(accountIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* ctx.trading.orderUpdates(ctx.scope, input.accountId, abort);
  }),
});
