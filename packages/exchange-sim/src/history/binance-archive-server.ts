import { createHash } from 'node:crypto';
import { Zip, ZipDeflate } from 'fflate';
import { formatPadded8 } from '../decimal-format.ts';
import { MINUTE_MS, type SimCandle, type SimCandles } from './sim-candles.ts';

/**
 * Binance's public data archive (data.binance.vision, binance/binance-public-data README), served under
 * the simulator's Binance base from the same `SimCandles` as its `GET /api/v3/klines`, so a backfill
 * through the archive stores exactly the candles REST would give:
 *
 *   /data/spot/monthly/klines/<SYMBOL>/1m/<SYMBOL>-1m-<YYYY>-<MM>.zip
 *   /data/spot/daily/klines/<SYMBOL>/1m/<SYMBOL>-1m-<YYYY>-<MM>-<DD>.zip
 *   ... and `<file>.zip.CHECKSUM`: "<sha256 hex>  <file>.zip\n" (as `sha256sum` writes it).
 *
 * Each zip holds one headerless CSV `<file>.csv` with the 12 klines columns. As on Binance, files dated
 * from 2025-01-01 carry microsecond timestamps, older ones milliseconds. A daily file exists once its day
 * has ended, a monthly one once its month has ended (404 before, and for other intervals: the simulator
 * generates 1m). Zips are built deterministically (fixed entry time, the same day-sized deflate pushes),
 * so a file and its CHECKSUM agree across requests; the last few built are kept (a CHECKSUM and its zip are
 * asked for one after the other), least recently used forgotten first.
 *
 * A month is 44,640 rows: built in one go it held the event loop 0.7-2.2 s (the simulator runs inside the
 * engine in simulator mode, beside the feeds). It is built a UTC day per step, the loop yielded between
 * days (`setImmediate`), through fflate's streaming `Zip`/`ZipDeflate`.
 */
export interface ArchiveReply {
  status: number;
  contentType: string;
  body: Uint8Array;
}

interface BuiltFile {
  zip: Uint8Array;
  checksum: string;
}

const FILE =
  /^\/data\/spot\/(monthly|daily)\/klines\/([A-Z0-9]{1,30})\/1m\/\2-1m-(\d{4})-(\d{2})(?:-(\d{2}))?\.zip(\.CHECKSUM)?$/;
/** From this instant Binance's spot archive timestamps are microseconds. */
const MICROS_FROM = Date.UTC(2025, 0, 1);
const KEEP_BUILT = 4;
const DAY_MS = 86_400_000;
const encoder = new TextEncoder();
const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class BinanceArchiveServer {
  readonly #candlesOf: (venueSymbol: string) => SimCandles | null;
  readonly #now: () => number;
  /** Built (or being built: concurrent asks share one build) files by zip path, least recently used first. */
  readonly #built = new Map<string, Promise<BuiltFile>>();
  /** CHECKSUM answers still to corrupt (the `corruptArchiveChecksum` fault), one per answer. */
  corruptChecksums = 0;
  readonly stats = { requests: 0, zips: 0, checksums: 0, notFound: 0, builds: 0 };

  constructor(candlesOf: (venueSymbol: string) => SimCandles | null, now: () => number) {
    this.#candlesOf = candlesOf;
    this.#now = now;
  }

  /**
   * Null when `path` is not under `/data/` (another route's); a 404 for an archive path with no file; a
   * file's reply once it is built.
   */
  handle(path: string): ArchiveReply | Promise<ArchiveReply> | null {
    if (!path.startsWith('/data/')) return null;
    this.stats.requests++;
    const m = FILE.exec(path);
    const gen = m ? this.#candlesOf(m[2] as string) : null;
    if (!m || !gen) return this.#notFound();
    const [, kind, , y, mo, d, checksum] = m;
    const year = Number(y);
    const month = Number(mo) - 1;
    if ((kind === 'daily') !== (d !== undefined) || month > 11) return this.#notFound();
    const from = Date.UTC(year, month, d === undefined ? 1 : Number(d));
    const to = d === undefined ? Date.UTC(year, month + 1, 1) : from + 86_400_000;
    // Date.UTC rolls an impossible day over (02-31 -> 03-03): such a name is not a file.
    if (new Date(from).getUTCMonth() !== month || to > this.#now()) return this.#notFound();
    const zipName = path.slice(path.lastIndexOf('/') + 1).replace(/\.CHECKSUM$/, '');
    return this.#file(path.replace(/\.CHECKSUM$/, ''), zipName, gen, from, to).then((file) =>
      this.#reply(file, checksum !== undefined),
    );
  }

  #reply(file: BuiltFile, checksum: boolean): ArchiveReply {
    if (checksum) {
      this.stats.checksums++;
      let text = file.checksum;
      if (this.corruptChecksums > 0) {
        this.corruptChecksums--;
        // One hex digit changed: still a well-formed CHECKSUM file, no longer this zip's.
        text = (text[0] === '0' ? '1' : '0') + text.slice(1);
      }
      return { status: 200, contentType: 'text/plain', body: encoder.encode(text) };
    }
    this.stats.zips++;
    return { status: 200, contentType: 'application/zip', body: file.zip };
  }

  #notFound(): ArchiveReply {
    this.stats.notFound++;
    return {
      status: 404,
      contentType: 'application/xml',
      body: encoder.encode(
        '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
      ),
    };
  }

  #file(zipPath: string, zipName: string, gen: SimCandles, from: number, to: number): Promise<BuiltFile> {
    const cached = this.#built.get(zipPath);
    if (cached) {
      // Most recently used: moved to the end of the map's order.
      this.#built.delete(zipPath);
      this.#built.set(zipPath, cached);
      return cached;
    }
    this.stats.builds++;
    const built = buildZip(zipName, gen, from, to);
    if (this.#built.size >= KEEP_BUILT) {
      const oldest = this.#built.keys().next().value;
      if (oldest !== undefined) this.#built.delete(oldest);
    }
    this.#built.set(zipPath, built);
    built.catch(() => {
      if (this.#built.get(zipPath) === built) this.#built.delete(zipPath);
    });
    return built;
  }
}

/** The zip of [from, to) with its CHECKSUM line, deflated a UTC day per step with the loop yielded between. */
async function buildZip(zipName: string, gen: SimCandles, from: number, to: number): Promise<BuiltFile> {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  let ended = false;
  const zip = new Zip((err, data, final) => {
    if (err) failure = err;
    else chunks.push(data);
    if (final) ended = true;
  });
  // Level 1: the bytes are a real deflate stream as Binance's, built at a fraction of level 6's CPU.
  const entry = new ZipDeflate(zipName.replace(/\.zip$/, '.csv'), { level: 1 });
  // A fixed entry time (the period's start; zip times cannot be before 1980) keeps the bytes stable.
  entry.mtime = new Date(Math.max(from, Date.UTC(1980, 0, 2)));
  zip.add(entry);
  for (let day = from; day < to; day += DAY_MS) {
    if (day > from) await yieldLoop();
    const end = Math.min(to, day + DAY_MS);
    entry.push(klinesCsv(gen, day, end), end >= to);
    if (failure) throw failure;
  }
  zip.end();
  if (failure) throw failure;
  if (!ended) throw new Error(`zip of ${zipName} did not end`);
  const bytes = concat(chunks);
  const sha = createHash('sha256').update(bytes).digest('hex');
  return { zip: bytes, checksum: `${sha}  ${zipName}\n` };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** The CSV of [from, to): one row per minute, as `GET /api/v3/klines` prints the same candle. */
export function klinesCsv(gen: SimCandles, from: number, to: number): Uint8Array {
  const micros = from >= MICROS_FROM;
  const lines: string[] = [];
  for (let t = from; t < to; t += MINUTE_MS) lines.push(klineCsvRow(gen, gen.candle(t), micros));
  return encoder.encode(lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

function klineCsvRow(gen: SimCandles, c: SimCandle, micros: boolean): string {
  const { priceDecimals: pd, lotDecimals: ld } = gen.precision;
  // Same quote and taker-quote arithmetic as the REST klines route (rest-history.ts).
  const buyQuote = (c.quoteUnits * BigInt(c.buyLots)) / BigInt(Math.max(1, c.lots));
  const open = micros ? `${c.openTime}000` : String(c.openTime);
  const close = micros ? `${c.openTime + MINUTE_MS - 1}999` : String(c.openTime + MINUTE_MS - 1);
  return [
    open,
    formatPadded8(c.open, pd),
    formatPadded8(c.high, pd),
    formatPadded8(c.low, pd),
    formatPadded8(c.close, pd),
    formatPadded8(c.lots, ld),
    close,
    bigFixed(c.quoteUnits, pd + ld),
    String(c.trades),
    formatPadded8(c.buyLots, ld),
    bigFixed(buyQuote, pd + ld),
    '0',
  ].join(',');
}

/** `units` x 10^-decimals, exact for any size, trailing zeros kept (as Binance prints quote volumes). */
function bigFixed(units: bigint, decimals: number): string {
  const s = units.toString().padStart(decimals + 1, '0');
  return decimals === 0 ? s : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}
