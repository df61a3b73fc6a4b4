/**
 * Rows of Binance's public archive CSV files (binance/binance-public-data README), parsed line by line
 * from decompressed chunks so a month of 1m candles never sits in memory as one string.
 *
 * klines: open time, open, high, low, close, volume, close time, quote volume, trades, taker buy base,
 *   taker buy quote, ignore.
 * aggTrades: aggregate trade id, price, quantity, first trade id, last trade id, time, was the buyer the
 *   maker, was the trade the best price match.
 *
 * Spot files dated from 2025-01-01 carry MICROsecond timestamps, older ones milliseconds (README note;
 * binance-public-data issues 386/387). A value of 10^14 or more cannot be milliseconds before the year
 * 5138, so it is read as microseconds. Prices and sizes stay the exact decimal strings of the file.
 */
import { AppError } from '@qt/shared';
import { isDecimal } from '../venues/wire-helpers.ts';

/** One CSV row of a 1m klines file, times in milliseconds. */
export interface ArchiveKlineRow {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  baseVolume: string;
  quoteVolume: string;
  tradeCount: number;
  takerBuyBaseVolume: string;
}

/** One CSV row of an aggTrades file, time in milliseconds (microseconds floored). */
export interface ArchiveAggTradeRow {
  aggTradeId: number;
  price: string;
  quantity: string;
  firstTradeId: number;
  lastTradeId: number;
  timeMs: number;
  buyerIsMaker: boolean;
}

const MICROS_FROM = 1e14;

export function malformedCsv(detail: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `A Binance archive file is malformed: ${detail}.`, { detail });
}

function int(cell: string | undefined, what: string): number {
  if (cell === undefined || !/^\d{1,16}$/.test(cell)) throw malformedCsv(`${what} is not an integer`);
  const n = Number(cell);
  if (!Number.isSafeInteger(n)) throw malformedCsv(`${what} is out of range`);
  return n;
}

function decimal(cell: string | undefined, what: string): string {
  if (!isDecimal(cell)) throw malformedCsv(`${what} is not a decimal`);
  return cell;
}

/** A timestamp cell in milliseconds, whichever unit the file uses; `exact` refuses sub-millisecond parts. */
export function archiveTimeMs(cell: string | undefined, what: string, exact: boolean): number {
  const n = int(cell, what);
  if (n < MICROS_FROM) return n;
  if (exact && n % 1000 !== 0) throw malformedCsv(`${what} is not a whole millisecond`);
  return Math.floor(n / 1000);
}

/** Binance writes `True`/`False` (spot) or `true`/`false` (futures). */
function bool(cell: string | undefined, what: string): boolean {
  const c = cell?.toLowerCase();
  if (c === 'true') return true;
  if (c === 'false') return false;
  throw malformedCsv(`${what} is not a boolean`);
}

export function parseKlineRow(cells: readonly string[]): ArchiveKlineRow {
  if (cells.length < 11) throw malformedCsv(`a klines row has ${cells.length} cells`);
  return {
    openTime: archiveTimeMs(cells[0], 'open time', true),
    open: decimal(cells[1], 'open'),
    high: decimal(cells[2], 'high'),
    low: decimal(cells[3], 'low'),
    close: decimal(cells[4], 'close'),
    baseVolume: decimal(cells[5], 'volume'),
    quoteVolume: decimal(cells[7], 'quote volume'),
    tradeCount: int(cells[8], 'trade count'),
    takerBuyBaseVolume: decimal(cells[9], 'taker buy base volume'),
  };
}

export function parseAggTradeRow(cells: readonly string[]): ArchiveAggTradeRow {
  if (cells.length < 7) throw malformedCsv(`an aggTrades row has ${cells.length} cells`);
  return {
    aggTradeId: int(cells[0], 'aggregate trade id'),
    price: decimal(cells[1], 'price'),
    quantity: decimal(cells[2], 'quantity'),
    firstTradeId: int(cells[3], 'first trade id'),
    lastTradeId: int(cells[4], 'last trade id'),
    timeMs: archiveTimeMs(cells[5], 'time', false),
    buyerIsMaker: bool(cells[6], 'buyer is maker'),
  };
}

/** Longest line accepted: a real klines row is ~150 bytes; anything this long is not a row. */
const MAX_LINE = 4_096;

/**
 * Splits decompressed bytes into rows as they arrive: `push` a chunk, get the rows its complete lines
 * hold; the partial last line waits for the next chunk (at most `MAX_LINE` characters of it). A first
 * line that does not start with a digit is a header (some archive files have one) and is skipped.
 */
export class CsvRowStream<T> {
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #parse: (cells: readonly string[]) => T;
  #rest = '';
  #firstLine = true;

  constructor(parse: (cells: readonly string[]) => T) {
    this.#parse = parse;
  }

  push(chunk: Uint8Array, final = false): T[] {
    let text: string;
    try {
      text = this.#rest + this.#decoder.decode(chunk, { stream: !final });
    } catch {
      throw malformedCsv('not UTF-8 text');
    }
    const out: T[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.#line(text.slice(start, nl), out);
      start = nl + 1;
    }
    this.#rest = text.slice(start);
    if (this.#rest.length > MAX_LINE) throw malformedCsv('a line is too long');
    if (final) {
      this.#line(this.#rest, out);
      this.#rest = '';
    }
    return out;
  }

  #line(raw: string, out: T[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) return;
    const first = this.#firstLine;
    this.#firstLine = false;
    const c = line.charCodeAt(0);
    if (first && (c < 48 || c > 57)) return;
    out.push(this.#parse(line.split(',')));
  }
}
