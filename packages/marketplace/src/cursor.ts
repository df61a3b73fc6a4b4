import { AppError } from '@qt/shared';
import { z } from 'zod';

/** The search sorts; each has one sort key (plus the id as a tie-breaker). */
export type ListingSort = 'return' | 'drawdown' | 'sharpe' | 'subscribers' | 'newest' | 'price';

const cursorSchema = z.strictObject({
  s: z.enum(['return', 'drawdown', 'sharpe', 'subscribers', 'newest', 'price']),
  /** The last row's sort key: a number (newest: ms since the epoch), or null (no stats yet). */
  v: z.number().finite().nullable(),
  id: z.uuid(),
});
export type SearchCursor = z.infer<typeof cursorSchema>;

/** The largest time a JavaScript Date holds (ms from the epoch, either way). */
const MAX_DATE_MS = 8.64e15;

/** Opaque to clients: base64url of the last row's sort key and id. */
export function encodeCursor(c: SearchCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor given back by a client. Garbage, a cursor of another sort (its key means something
 * else) or a tampered one that does not parse is INVALID_CURSOR, never a database error.
 */
export function decodeCursor(raw: string, sort: ListingSort): SearchCursor {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(raw)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success || result.data.s !== sort) throw invalid();
  // A date key out of JavaScript's Date range (+-8.64e15 ms) would become an Invalid Date in the query.
  const v = result.data.v;
  if (sort === 'newest' && (v === null || Math.abs(v) > MAX_DATE_MS)) throw invalid();
  return result.data;
}

function invalid(): AppError {
  return new AppError(
    'INVALID_CURSOR',
    'This page cursor is not valid for this search; start again from the first page.',
  );
}
