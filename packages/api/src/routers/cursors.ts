import { AppError } from '@qt/shared';

/**
 * Page cursors are opaque to callers but not to the database: a forged one must be refused here as
 * INVALID_CURSOR (400), not reach a query as an out-of-range time or a malformed id (a 500).
 * Formats, as the list calls return them: orders "<time ms>:<order uuid>", fills "<time ms>:<fill id>"
 * (the fill id is "<order uuid>:<n>"), ledger "<posting sequence>", candles an open time in ms.
 */

/** JavaScript dates (and so every time we return) stay within ±8.64e15 ms of the epoch. */
const MAX_TIME_MS = 8_640_000_000_000_000;
const MAX_INT8 = 2n ** 63n - 1n;
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const orderCursor = new RegExp(`^(\\d{1,16}):${UUID}$`);
const fillCursor = new RegExp(`^(\\d{1,16}):${UUID}:\\d{1,10}$`);

function invalid(): AppError {
  return new AppError(
    'INVALID_CURSOR',
    'That page cursor is not one this API returned. Start from the first page (omit `before`).',
  );
}

function timeCursor(before: string | undefined, pattern: RegExp): void {
  if (before === undefined) return;
  const m = pattern.exec(before);
  if (!m || Number(m[1]) > MAX_TIME_MS) throw invalid();
}

export const checkOrderCursor = (before: string | undefined) => timeCursor(before, orderCursor);
export const checkFillCursor = (before: string | undefined) => timeCursor(before, fillCursor);

export function checkSequenceCursor(before: string | undefined): void {
  if (before === undefined) return;
  if (!/^\d{1,19}$/.test(before) || BigInt(before) > MAX_INT8) throw invalid();
}

export function checkTimeCursor(before: number | undefined): void {
  if (before !== undefined && before > MAX_TIME_MS) throw invalid();
}
