import {
  accountIdInput,
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

/** Orders: every one passes the risk engine, then the paper matcher. */
export const ordersRouter = router({
  place: tradeProcedure
    .input(placeOrderInput)
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
