/**
 * Reads the 1m candles of one verified archive zip a page at a time: the zip's bytes are pushed through
 * fflate's streaming unzip in small slices and only the rows up to the page's end are parsed, so memory
 * is the zip itself plus about one slice of rows, whatever the file's length (a month is 44,640 rows).
 */
import type { Kline } from '@qt/shared';
import { Unzip, type UnzipFile, UnzipInflate } from 'fflate';
import { type ArchiveKlineRow, CsvRowStream, malformedCsv, parseKlineRow } from './binance-archive-csv.ts';

/** Compressed bytes pushed per step: ~3x that of CSV (~1,500 rows) at most past the page asked for. */
const SLICE = 64 * 1024;
const MINUTE_MS = 60_000;

export class ArchiveKlineReader {
  readonly path: string;
  readonly #symbol: string;
  readonly #zip: Uint8Array;
  readonly #unzip: Unzip;
  readonly #rows: CsvRowStream<ArchiveKlineRow>;
  /** Rows parsed but not yet handed out (at most about one slice's worth past the page asked for). */
  #queue: ArchiveKlineRow[] = [];
  #offset = 0;
  #entry: UnzipFile | null = null;
  #csvDone = false;
  #failure: Error | null = null;
  /** The open time of the last row read: rows must ascend, or a page could not know it was complete. */
  #lastOpen = -1;
  /** Every row before this has been handed out or dropped: the reader only moves forward. */
  position: number;
  /** The first open time kept: rows before it are dropped as the zip streams by. */
  readonly startedAt: number;

  constructor(path: string, symbol: string, zip: Uint8Array, startMs: number) {
    this.path = path;
    this.startedAt = startMs;
    this.#symbol = symbol;
    this.#zip = zip;
    this.position = startMs;
    this.#rows = new CsvRowStream(parseKlineRow);
    this.#unzip = new Unzip((file) => {
      // One CSV per archive zip; anything else in it is ignored.
      if (this.#entry !== null || !file.name.endsWith('.csv')) return;
      this.#entry = file;
      file.ondata = (err, data, final) => {
        if (err) {
          this.#failure = malformedCsv(`unzip: ${err.message}`);
          return;
        }
        try {
          for (const row of this.#rows.push(data, final)) this.#accept(row);
        } catch (e) {
          this.#failure = e instanceof Error ? e : new Error(String(e));
        }
        if (final) this.#csvDone = true;
      };
      file.start();
    });
    this.#unzip.register(UnzipInflate);
  }

  /** Candles with open time in [fromMs, toMs), ascending; rows before `fromMs` are skipped. */
  take(fromMs: number, toMs: number): Kline[] {
    if (fromMs < this.position)
      throw new RangeError(`archive reader at ${this.position} cannot go back to ${fromMs}`);
    while (!this.#csvDone && !this.#reached(toMs)) {
      if (this.#offset >= this.#zip.length) break;
      const end = Math.min(this.#zip.length, this.#offset + SLICE);
      this.#unzip.push(this.#zip.subarray(this.#offset, end), end === this.#zip.length);
      this.#offset = end;
      if (this.#failure) throw this.#failure;
    }
    if (this.#entry === null) throw malformedCsv('the zip holds no CSV file');
    if (!this.#csvDone && !this.#reached(toMs)) throw malformedCsv('the zip ends inside its CSV file');
    const out: Kline[] = [];
    let i = 0;
    for (; i < this.#queue.length; i++) {
      const r = this.#queue[i] as ArchiveKlineRow;
      if (r.openTime >= toMs) break;
      if (r.openTime >= fromMs) out.push(this.#kline(r));
    }
    this.#queue = this.#queue.slice(i);
    this.position = toMs;
    return out;
  }

  #reached(toMs: number): boolean {
    const last = this.#queue[this.#queue.length - 1];
    return last !== undefined && last.openTime >= toMs;
  }

  #accept(row: ArchiveKlineRow): void {
    if (row.openTime <= this.#lastOpen) throw malformedCsv('rows are not ascending by open time');
    if (row.openTime % MINUTE_MS !== 0) throw malformedCsv('an open time is not a whole minute');
    this.#lastOpen = row.openTime;
    // Rows before the reader's position are of pages already served: not kept.
    if (row.openTime >= this.position) this.#queue.push(row);
  }

  #kline(r: ArchiveKlineRow): Kline {
    return {
      venue: 'binance',
      symbol: this.#symbol,
      interval: '1m',
      openTime: r.openTime,
      closeTime: r.openTime + MINUTE_MS - 1,
      open: r.open,
      high: r.high,
      low: r.low,
      close: r.close,
      baseVolume: r.baseVolume,
      quoteVolume: r.quoteVolume,
      takerBuyBaseVolume: r.takerBuyBaseVolume,
      tradeCount: r.tradeCount,
      closed: true,
    };
  }
}
