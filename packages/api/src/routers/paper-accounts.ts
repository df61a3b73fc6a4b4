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
import { router } from '../trpc.ts';
import { checkSequenceCursor } from './cursors.ts';
import { tradingReadProcedure, tradingTradeProcedure } from './trading-procedures.ts';

const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), next: z.string().nullable() });

/** Paper accounts: funding, balances, positions, PnL and the ledger behind them. */
export const paperAccountsRouter = router({
  create: tradingTradeProcedure
    .input(createPaperAccountInput)
    .output(paperAccountSchema)
    .mutation(({ ctx, input }) => ctx.trading.createAccount(ctx.scope, input)),
  list: tradingReadProcedure
    .output(z.array(paperAccountSchema))
    .query(({ ctx }) => ctx.trading.listAccounts(ctx.scope)),
  deposit: tradingTradeProcedure
    .input(transferInput)
    .output(z.array(balanceSchema))
    .mutation(({ ctx, input }) => ctx.trading.deposit(ctx.scope, input)),
  withdraw: tradingTradeProcedure
    .input(transferInput)
    .output(z.array(balanceSchema))
    .mutation(({ ctx, input }) => ctx.trading.withdraw(ctx.scope, input)),
  balances: tradingReadProcedure
    .input(accountIdInput)
    .output(z.array(balanceSchema))
    .query(({ ctx, input }) => ctx.trading.balances(ctx.scope, input.accountId)),
  positions: tradingReadProcedure
    .input(accountIdInput)
    .output(z.array(positionSchema))
    .query(({ ctx, input }) => ctx.trading.positions(ctx.scope, input.accountId)),
  pnl: tradingReadProcedure
    .input(accountIdInput)
    .output(pnlSchema)
    .query(({ ctx, input }) => ctx.trading.pnl(ctx.scope, input.accountId)),
  ledger: tradingReadProcedure
    .input(pageInput)
    .output(pageOf(ledgerEntrySchema))
    .query(({ ctx, input }) => {
      checkSequenceCursor(input.before);
      return ctx.trading.ledger(ctx.scope, input);
    }),
  onBalances: tradingReadProcedure.input(accountIdInput).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    const abort = signal ?? new AbortController().signal;
    yield* ctx.trading.balanceUpdates(ctx.scope, input.accountId, abort);
  }),
});
