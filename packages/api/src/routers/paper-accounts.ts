import {
  accountIdInput,
  balanceSchema,
  createPaperAccountInput,
  ledgerEntrySchema,
  pageInput,
  paperAccountSchema,
  pnlSchema,
  positionSchema,
  transferInput,
} from '@qt/shared';
import { z } from 'zod';
import { scopeOf, tradingOf } from '../domains/trading/scope.ts';
import { authedProcedure, router, tradeProcedure } from '../trpc.ts';
import { checkSequenceCursor } from './cursors.ts';

const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), next: z.string().nullable() });

/** Paper accounts: funding, balances, positions, PnL and the ledger behind them. */
export const paperAccountsRouter = router({
  create: tradeProcedure
    .input(createPaperAccountInput)
    .output(paperAccountSchema)
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).createAccount(scopeOf(ctx.principal), input)),
  list: authedProcedure
    .output(z.array(paperAccountSchema))
    .query(({ ctx }) => tradingOf(ctx.deps).listAccounts(scopeOf(ctx.principal))),
  deposit: tradeProcedure
    .input(transferInput)
    .output(z.array(balanceSchema))
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).deposit(scopeOf(ctx.principal), input)),
  withdraw: tradeProcedure
    .input(transferInput)
    .output(z.array(balanceSchema))
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).withdraw(scopeOf(ctx.principal), input)),
  balances: authedProcedure
    .input(accountIdInput)
    .output(z.array(balanceSchema))
    .query(({ ctx, input }) => tradingOf(ctx.deps).balances(scopeOf(ctx.principal), input.accountId)),
  positions: authedProcedure
    .input(accountIdInput)
    .output(z.array(positionSchema))
    .query(({ ctx, input }) => tradingOf(ctx.deps).positions(scopeOf(ctx.principal), input.accountId)),
  pnl: authedProcedure
    .input(accountIdInput)
    .output(pnlSchema)
    .query(({ ctx, input }) => tradingOf(ctx.deps).pnl(scopeOf(ctx.principal), input.accountId)),
  ledger: authedProcedure
    .input(pageInput)
    .output(pageOf(ledgerEntrySchema))
    .query(({ ctx, input }) => {
      checkSequenceCursor(input.before);
      return tradingOf(ctx.deps).ledger(scopeOf(ctx.principal), input);
    }),
  onBalances: authedProcedure.input(accountIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* tradingOf(ctx.deps).balanceUpdates(scopeOf(ctx.principal), input.accountId, abort);
  }),
});
