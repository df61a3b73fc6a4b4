/**
 * Binance 1m candle history with the public archive (data.binance.vision) as the fast path: for a long
 * range, whole past months come from one monthly zip each and whole past days from daily zips, read a UTC
 * day per page; the rest (a partial first day, today, a file not published yet or failing its checksum)
 * goes to the REST source, page by page as before. A month's file takes 2 requests (CHECKSUM, zip) where
 * REST takes 45 (44,640 candles, 1,000 a call), and none of the REST weight budget: the archive host is
 * not the API. A range of 2 days or less left (`minRangeMs`) is not started from a new file: those are the
 * files least likely to be published yet, and 3 REST calls at most. (A monthly file already open is read
 * to its end, so the last days of a job inside a published month come from it too.)
 *
 * Failure modes: a file missing or bad sends its span to REST (monthly -> daily -> REST); an archive host
 * that cannot be reached opens a source-wide breaker (`unreachableRetryMs`), during which nothing is asked
 * of the archive and REST pages run whole, not cut at day ends; a whole-day page with fewer than 1,440
 * rows (a file with a hole) has the missing minutes fetched from REST (2 calls at most) before it is served.
 *
 * Same contract as every `CandleHistorySource`: the page is the window [fromMs, nextFrom), candles are the
 * exact decimal strings Binance publishes (the archive files are written from the same klines as REST).
 */
import type { Kline } from '@qt/shared';
import type { VenueAdapter } from '../venues/venue-adapter.ts';
import {
  type ArchiveDownloadOptions,
  type ArchiveFailure,
  ArchiveFileError,
  downloadVerifiedZip,
} from './binance-archive-download.ts';
import { type ArchiveSpan, archiveSpanAt, DAY_MS, dayStart } from './binance-archive-plan.ts';
import { ArchiveKlineReader } from './binance-archive-reader.ts';
import type { CandleHistorySource, CandlePage } from './candle-history.ts';

export interface ArchiveLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  info?(obj: Record<string, unknown>, msg: string): void;
}

export interface BinanceArchiveOptions extends ArchiveDownloadOptions {
  /** The Binance REST candle source: the fallback and the tail. */
  rest: CandleHistorySource;
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>;
  /** Remaining ranges (cursor to end) this long or shorter open no new file (REST, or the open file); default 2 days. */
  minRangeMs?: number;
  /** How long a missing or failing file is not asked for again; default 1 hour (it may be published). */
  retryUnavailableAfterMs?: number;
  /**
   * After a network error, timeout or 5xx on every attempt, how long the archive is not used at all;
   * default 10 min. Without it every file of a job would pay its own retries against a dead host.
   */
  unreachableRetryMs?: number;
  now?: () => number;
  logger?: ArchiveLogger;
}

export interface ArchiveStats {
  files: number;
  archiveCandles: number;
  restPages: number;
  /** REST calls made to fill the minutes missing from a file's day. */
  gapFillCalls: number;
  /** Minutes missing from archive files (before the REST fill). */
  gapMinutes: number;
  /** Times the archive was found unreachable and left for `unreachableRetryMs`. */
  breakerTrips: number;
  fallbacks: Record<ArchiveFailure, number>;
}

/** Files remembered as unavailable at most (oldest forgotten first). */
const MAX_UNAVAILABLE = 10_000;
/** Open readers at most: one per symbol being backfilled, a job at a time per venue. */
const MAX_READERS = 4;
/** Attempts per archive request (the download's default is 3): a file that fails goes to REST anyway. */
const ARCHIVE_ATTEMPTS = 2;
/** REST calls at most to fill one page's missing minutes: 2 x 1,000 candles cover any UTC day. */
const MAX_GAP_FILL_CALLS = 2;
const MINUTE_MS = 60_000;

type FileSpan = Extract<ArchiveSpan, { path: string }>;

/** A verified file being read, a page at a time, by one symbol's backfill. */
interface OpenFile {
  span: FileSpan;
  reader: ArchiveKlineReader;
  /** HTTP requests its download took (reported with the first page read from it). */
  requests: number;
}

export interface BinanceArchiveCandleSource extends CandleHistorySource {
  readonly stats: ArchiveStats;
}

export function binanceArchiveCandleHistory(opts: BinanceArchiveOptions): BinanceArchiveCandleSource {
  const now = opts.now ?? Date.now;
  const minRangeMs = opts.minRangeMs ?? 2 * DAY_MS;
  const retryAfterMs = opts.retryUnavailableAfterMs ?? 3_600_000;
  const unreachableRetryMs = opts.unreachableRetryMs ?? 600_000;
  const download: ArchiveDownloadOptions = { ...opts, attempts: opts.attempts ?? ARCHIVE_ATTEMPTS };
  /** Until when the archive host is left alone (the breaker is open before this instant). */
  let offlineUntil = 0;
  const archiveUp = () => offlineUntil <= now();
  const unavailable = new Map<string, number>();
  const readers = new Map<string, OpenFile>();
  const stats: ArchiveStats = {
    files: 0,
    archiveCandles: 0,
    restPages: 0,
    gapFillCalls: 0,
    gapMinutes: 0,
    breakerTrips: 0,
    fallbacks: { 'not-published': 0, 'checksum-mismatch': 0, malformed: 0, 'too-large': 0, unreachable: 0 },
  };
  // Pages are fetched one after another per job; a chain keeps two callers from sharing a reader midway.
  let chain: Promise<unknown> = Promise.resolve();

  const isUnavailable = (path: string) => {
    const until = unavailable.get(path);
    if (until === undefined) return false;
    if (until > now()) return true;
    unavailable.delete(path);
    return false;
  };

  function markUnavailable(err: ArchiveFileError): void {
    if (err.reason === 'unreachable') {
      // The host, not this file: every other file would fail the same way, so none is asked for a while.
      // The file itself is not marked: it is asked for again when the breaker closes.
      stats.fallbacks.unreachable++;
      stats.breakerTrips++;
      offlineUntil = now() + unreachableRetryMs;
      opts.logger?.warn(
        { path: err.path, detail: err.details?.detail, retryInMs: unreachableRetryMs },
        'binance archive unreachable: REST only until the retry time',
      );
      return;
    }
    if (unavailable.size >= MAX_UNAVAILABLE) {
      const oldest = unavailable.keys().next().value;
      if (oldest !== undefined) unavailable.delete(oldest);
    }
    unavailable.set(err.path, now() + retryAfterMs);
    stats.fallbacks[err.reason]++;
    // Not published yet is the normal state of the newest files: not worth a warning.
    const log = err.reason === 'not-published' ? opts.logger?.info : opts.logger?.warn;
    log?.call(
      opts.logger,
      { path: err.path, reason: err.reason, detail: err.details?.detail },
      'binance archive file not used: that span comes from REST',
    );
  }

  async function openReader(
    span: FileSpan,
    symbol: string,
    fromMs: number,
    signal?: AbortSignal,
  ): Promise<OpenFile> {
    const zip = await downloadVerifiedZip(download, span.path, span.fileName, signal);
    const open: OpenFile = {
      span,
      // Started at the page asked for (a resume mid-month, a page asked again): rows before it are
      // dropped as they stream by instead of queued for pages that will not be asked.
      reader: new ArchiveKlineReader(span.path, symbol, zip.bytes, fromMs),
      requests: zip.requests,
    };
    readers.delete(symbol);
    if (readers.size >= MAX_READERS) {
      const oldest = readers.keys().next().value;
      if (oldest !== undefined) readers.delete(oldest);
    }
    readers.set(symbol, open);
    stats.files++;
    return open;
  }

  /**
   * The file span to read `fromMs` from: the open file if it holds it (a month is read a day per page;
   * a page asked again reads it anew). A job resumed mid-month by another process has no open file: the
   * plan gives it the month's remaining days as daily files.
   */
  function fileSpanAt(symbol: string, fromMs: number, toMs: number): FileSpan | null {
    const open = readers.get(symbol);
    if (open && fromMs >= open.span.fromMs && fromMs < open.span.toMs) return open.span;
    if (toMs - fromMs <= minRangeMs || !archiveUp()) return null;
    const span = archiveSpanAt(opts.adapter.toVenueSymbol(symbol), fromMs, toMs, now(), isUnavailable);
    return span.kind === 'rest' ? null : span;
  }

  async function page(
    symbol: string,
    fromMs: number,
    toMs: number,
    signal?: AbortSignal,
  ): Promise<CandlePage> {
    // Monthly -> daily -> REST: each failing file is marked and the span at `fromMs` planned again.
    for (let tries = 0; tries < 3; tries++) {
      const span = fileSpanAt(symbol, fromMs, toMs);
      if (span === null) break;
      let filePage: CandlePage;
      try {
        const cached = readers.get(symbol);
        const open =
          cached && cached.span.path === span.path && fromMs >= cached.reader.position
            ? { ...cached, requests: 0 }
            : // Not open, or a page asked again (a retry, a resumed job): the file is read anew.
              await openReader(span, symbol, fromMs, signal);
        const end = Math.min(dayStart(fromMs) + DAY_MS, span.toMs, toMs);
        const candles: Kline[] = open.reader.take(fromMs, end);
        stats.archiveCandles += candles.length;
        if (end >= span.toMs) readers.delete(symbol);
        filePage = { candles, nextFrom: end, requests: open.requests, throttled: 0 };
      } catch (err) {
        signal?.throwIfAborted();
        readers.delete(symbol);
        if (err instanceof ArchiveFileError) markUnavailable(err);
        else if (err instanceof Error)
          markUnavailable(new ArchiveFileError('malformed', span.path, err.message));
        else throw err;
        continue;
      }
      // A verified file can still have a hole (Binance has published files missing minutes): the cursor
      // passes this page, so what it lacks is taken from REST now or never. Outside the try: a REST
      // failure here is the job's to retry, not a fault of the file.
      return filePage.candles.length < (filePage.nextFrom - fromMs) / MINUTE_MS
        ? fillGaps(symbol, fromMs, filePage, span.path, signal)
        : filePage;
    }
    stats.restPages++;
    // While the archive may still serve a later span, REST pages stop at the next UTC day so the cursor
    // meets archive spans on their boundaries; with the archive unreachable they run whole (no REST
    // weight spent on short pages for files that will not be asked for).
    const restTo =
      toMs - fromMs > minRangeMs && archiveUp() ? Math.min(toMs, dayStart(fromMs) + DAY_MS) : toMs;
    return opts.rest.fetchPage(symbol, fromMs, restTo, signal);
  }

  /**
   * The file's page with the minutes it lacks fetched from REST: at most `MAX_GAP_FILL_CALLS` calls,
   * each from the first minute still missing to the last one; REST candles fill only missing minutes.
   * Minutes REST has no candle for either (no trading, e.g. an exchange outage) stay missing.
   */
  async function fillGaps(
    symbol: string,
    fromMs: number,
    page: CandlePage,
    path: string,
    signal?: AbortSignal,
  ): Promise<CandlePage> {
    const have = new Set(page.candles.map((k) => k.openTime));
    const missing: number[] = [];
    for (let t = fromMs; t < page.nextFrom; t += MINUTE_MS) if (!have.has(t)) missing.push(t);
    stats.gapMinutes += missing.length;
    const filled: Kline[] = [];
    let requests = page.requests;
    let throttled = page.throttled;
    let calls = 0;
    for (let i = 0; i < missing.length && calls < MAX_GAP_FILL_CALLS; calls++) {
      const first = missing[i] as number;
      const last = missing[missing.length - 1] as number;
      const rest = await opts.rest.fetchPage(symbol, first, last + MINUTE_MS, signal);
      stats.gapFillCalls++;
      requests += rest.requests;
      throttled += rest.throttled;
      for (const k of rest.candles)
        if (k.openTime < page.nextFrom && !have.has(k.openTime)) {
          have.add(k.openTime);
          filled.push(k);
        }
      while (i < missing.length && (missing[i] as number) < rest.nextFrom) i++;
    }
    const stillMissing = missing.length - filled.length;
    opts.logger?.warn(
      { path, fromMs, toMs: page.nextFrom, missing: missing.length, fromRest: filled.length, stillMissing },
      'binance archive file lacks minutes: filled from REST',
    );
    const candles = [...page.candles, ...filled].sort((a, b) => a.openTime - b.openTime);
    return { candles, nextFrom: page.nextFrom, requests, throttled };
  }

  return {
    venue: 'binance',
    pageSize: opts.rest.pageSize,
    stats,
    fetchPage(symbol, fromMs, toMs, signal) {
      const run = chain.then(() => page(symbol, fromMs, toMs, signal));
      chain = run.catch(() => {});
      return run;
    },
  };
}
