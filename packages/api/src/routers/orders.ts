import {
  accountIdInput,
  amendOrderInput,
  cancelAllInput,
  listOrdersInput,
  orderIdInput,
  orderSchema,
  ordersPage,
  placeOrderInput,
} from '@qt/shared';
import { z } from 'zod';
import { scopeOf, tradingOf } from '../domains/trading/scope.ts';
import { authedProcedure, router, tradeProcedure } from '../trpc.ts';
import { checkOrderCursor } from './cursors.ts';

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
  place: tradeProcedure
    .input(placeOrderInput.refine(notStrategyTagged, reservedTag))
    .output(orderSchema)
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).placeOrder(scopeOf(ctx.principal), input)),
  cancel: tradeProcedure
    .input(orderIdInput)
    .output(orderSchema)
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).cancelOrder(scopeOf(ctx.principal), input)),
  cancelAll: tradeProcedure
    .input(cancelAllInput)
    .output(z.strictObject({ canceled: z.number().int() }))
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).cancelAll(scopeOf(ctx.principal), input)),
  /** Cancel-replace at a new price (the chart's drag of a limit order's line); answers the new order. */
  amend: tradeProcedure
    .input(amendOrderInput.refine(notStrategyTagged, reservedTag))
    .output(orderSchema)
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).amendOrder(scopeOf(ctx.principal), input)),
  get: authedProcedure
    .input(orderIdInput)
    .output(orderSchema)
    .query(({ ctx, input }) => tradingOf(ctx.deps).getOrder(scopeOf(ctx.principal), input)),
  list: authedProcedure
    .input(listOrdersInput)
    .output(ordersPage)
    .query(async ({ ctx, input }) => {
      checkOrderCursor(input.before);
      const page = await tradingOf(ctx.deps).listOrders(scopeOf(ctx.principal), input);
      return { orders: page.items, next: page.next };
    }),
  onUpdate: authedProcedure.input(accountIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* tradingOf(ctx.deps).orderUpdates(scopeOf(ctx.principal), input.accountId, abort);
  }),
});
