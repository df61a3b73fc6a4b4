import type { Prisma } from '@qt/db';
import {
  AppError,
  WATCHLIST_MAX_ENTRIES,
  type WatchlistEntry,
  watchlistEntrySchema,
  watchlistMarketInput,
  watchlistReorderInput,
} from '@qt/shared';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import type { ApiDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

interface Owner {
  tenantId: string;
  userId: string;
}

/** A watchlist belongs to a person in a tenant; a credential acting for nobody has none. */
function ownerOf(principal: Principal): Owner {
  if (!principal.userId)
    throw new AppError(
      'AUTH_REQUIRED',
      'A watchlist belongs to a person: sign in, or use a key made by one.',
    );
  return { tenantId: principal.tenant.id, userId: principal.userId };
}

const entriesOut = z.array(watchlistEntrySchema);

async function listOf(db: Prisma.TransactionClient | ApiDeps['db'], owner: Owner): Promise<WatchlistEntry[]> {
  const rows = await db.watchlistEntry.findMany({
    where: owner,
    orderBy: [{ position: 'asc' }, { createdAt: 'asc' }],
    take: WATCHLIST_MAX_ENTRIES,
  });
  return rows.map((r, i) => ({
    venue: r.venue,
    symbol: r.symbol,
    // Positions are kept in order but may have holes after a removal: what the caller sees is dense.
    position: i,
    addedAt: r.createdAt.getTime(),
  }));
}

/**
 * One person's changes run one at a time across engines (a transaction-scoped advisory lock on the
 * owner), so two concurrent adds cannot both pass the 100-entry bound or take the same position.
 */
function locked<T>(
  deps: ApiDeps,
  owner: Owner,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return deps.db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('qt-watchlist'), hashtext(${`${owner.tenantId}:${owner.userId}`}::text))`;
      return fn(tx);
    },
    { timeout: 10_000, maxWait: 5_000 },
  );
}

const keyOf = (m: { venue: string; symbol: string }) => `${m.venue}:${m.symbol}`;

/**
 * The person's watchlist: markets to glance at with their 24h figures (`market.tickers`), in their own
 * order, at most 100. Personal view state, so the `read` scope is enough to change it.
 */
export const watchlistRouter = router({
  list: authedProcedure.output(entriesOut).query(({ ctx }) => listOf(ctx.deps.db, ownerOf(ctx.principal))),
  /** Appends a market the venue lists (idempotent: a market already held stays where it is). */
  add: authedProcedure
    .input(watchlistMarketInput)
    .output(entriesOut)
    .mutation(async ({ ctx, input }) => {
      const owner = ownerOf(ctx.principal);
      const listed = await ctx.deps.market.instruments({ venue: input.venue });
      if (!listed.some((i) => i.symbol === input.symbol))
        throw new AppError(
          'MARKET_UNKNOWN_INSTRUMENT',
          `${input.venue} does not list ${input.symbol} on this engine (see market.instruments).`,
        );
      return locked(ctx.deps, owner, async (tx) => {
        const held = await tx.watchlistEntry.findMany({
          where: owner,
          select: { venue: true, symbol: true, position: true },
        });
        if (held.some((h) => keyOf(h) === keyOf(input))) return listOf(tx, owner);
        if (held.length >= WATCHLIST_MAX_ENTRIES)
          throw new AppError(
            'WATCHLIST_FULL',
            `A watchlist holds at most ${WATCHLIST_MAX_ENTRIES} markets. Remove one first.`,
            { max: WATCHLIST_MAX_ENTRIES },
          );
        const position = held.reduce((max, h) => Math.max(max, h.position + 1), 0);
        await tx.watchlistEntry.create({
          data: { ...owner, venue: input.venue, symbol: input.symbol, position },
        });
        return listOf(tx, owner);
      });
    }),
  /** Removes a market (nothing happens when it is not held). */
  remove: authedProcedure
    .input(watchlistMarketInput)
    .output(entriesOut)
    .mutation(async ({ ctx, input }) => {
      const owner = ownerOf(ctx.principal);
      return locked(ctx.deps, owner, async (tx) => {
        await tx.watchlistEntry.deleteMany({ where: { ...owner, venue: input.venue, symbol: input.symbol } });
        return listOf(tx, owner);
      });
    }),
  /** Puts the list in the given order: exactly the markets held now, each once (else VALIDATION_FAILED). */
  reorder: authedProcedure
    .input(watchlistReorderInput)
    .output(entriesOut)
    .mutation(async ({ ctx, input }) => {
      const owner = ownerOf(ctx.principal);
      return locked(ctx.deps, owner, async (tx) => {
        const held = await tx.watchlistEntry.findMany({
          where: owner,
          select: { venue: true, symbol: true },
        });
        const wanted = input.entries.map(keyOf);
        const heldKeys = new Set(held.map(keyOf));
        if (
          new Set(wanted).size !== wanted.length ||
          wanted.length !== heldKeys.size ||
          !wanted.every((k) => heldKeys.has(k))
        )
          throw new AppError(
            'VALIDATION_FAILED',
            'The new order must list exactly the markets on the watchlist, each once (reload it and try again).',
          );
        for (const [position, m] of input.entries.entries())
          await tx.watchlistEntry.update({
            where: { tenantId_userId_venue_symbol: { ...owner, venue: m.venue, symbol: m.symbol } },
            data: { position },
          });
        return listOf(tx, owner);
      });
    }),
});
