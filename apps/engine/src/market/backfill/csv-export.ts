import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiDeps, authenticate, bearerFrom } from '@qt/api';
import type { MarketDataQueries } from '@qt/db';
import {
  AppError,
  canonicalSymbol,
  errorStatus,
  isAppError,
  klineInterval,
  limitsFor,
  venueId,
} from '@qt/shared';
import { z } from 'zod';
import { checkDepth } from './history-service.ts';

export const CANDLES_CSV_PATH = '/export/candles.csv';
export const TRADES_CSV_PATH = '/export/trades.csv';
/** Rows read per page: one page in memory at a time, written before the next is read. */
const PAGE = 5_000;

const time = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  z.iso.date().transform((d) => Date.parse(`${d}T00:00:00Z`)),
  z.iso.datetime({ offset: true }).transform((d) => Date.parse(d)),
]);
const candlesQuery = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  interval: klineInterval,
  from: time,
  to: time.optional(),
});
const tradesQuery = candlesQuery.omit({ interval: true });

const HTTP: Record<string, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * `GET /export/candles.csv?venue&symbol&interval&from&to` and `/export/trades.csv?venue&symbol&from&to`:
 * stored closed candles / trades of one series as CSV, oldest first, for notebooks. The same bearer
 * credential as the API (`read` scope); `from` within the tier's history depth (ms, `YYYY-MM-DD` or ISO
 * time); `to` default now. Streamed page by page with backpressure (the next page is read only once the
 * socket took the last), so any range costs one page of memory; a client that goes away stops the read.
 * Decimals are written exactly as stored (canonical form).
 */
export function csvExportHandler(
  api: ApiDeps,
  queries: MarketDataQueries,
  clientIp: (req: IncomingMessage) => string,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname;
    if (path !== CANDLES_CSV_PATH && path !== TRADES_CSV_PATH) return false;
    try {
      if (req.method !== 'GET') throw new AppError('REQUEST_MALFORMED', 'Use GET.');
      const principal = await authenticate({
        deps: api,
        credential: bearerFrom(req.headers.authorization),
        ip: clientIp(req),
        transport: 'http',
      });
      if (!principal.scopes.includes('read'))
        throw new AppError('AUTH_FORBIDDEN_SCOPE', 'Exports need the read scope.');
      const limits = api.requestLimiter
        ? await api.requestLimiter.limitsOf(principal)
        : limitsFor(principal.tenant.tier);
      const raw = Object.fromEntries(url.searchParams);
      const parsed = (path === CANDLES_CSV_PATH ? candlesQuery : tradesQuery).safeParse(raw);
      if (!parsed.success)
        throw new AppError('VALIDATION_FAILED', 'Bad export query.', {
          issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      const q = parsed.data as z.infer<typeof candlesQuery>;
      const now = api.clock.now();
      checkDepth(limits, q.from, now);
      const to = Math.min(q.to ?? now, now);
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${q.venue}-${q.symbol}-${path === CANDLES_CSV_PATH ? q.interval : 'trades'}.csv"`,
        'cache-control': 'no-store',
      });
      const closed = () => res.destroyed || res.writableEnded;
      if (path === CANDLES_CSV_PATH) {
        await write(
          res,
          'open_time,close_time,open,high,low,close,base_volume,quote_volume,taker_buy_base_volume,trade_count\n',
        );
        let after: number | undefined;
        while (!closed()) {
          const page = await queries.closedCandlesAscending({
            venue: q.venue,
            symbol: q.symbol,
            interval: q.interval,
            fromMs: q.from,
            toMs: to,
            after,
            limit: PAGE,
          });
          let out = '';
          for (const k of page)
            out += `${k.openTime},${k.closeTime},${k.open},${k.high},${k.low},${k.close},${k.baseVolume},${k.quoteVolume},${k.takerBuyBaseVolume},${k.tradeCount}\n`;
          if (out) await write(res, out);
          if (page.length < PAGE) break;
          after = page[page.length - 1]?.openTime;
        }
      } else {
        await write(res, 'exchange_time,trade_id,price,quantity,taker_side\n');
        let after: { exchangeTime: number; tradeId: string } | undefined;
        while (!closed()) {
          const page = await queries.tradesAscending({
            venue: q.venue,
            symbol: q.symbol,
            fromMs: q.from,
            toMs: to,
            after,
            limit: PAGE,
          });
          let out = '';
          for (const t of page)
            out += `${t.exchangeTime},${csvField(t.tradeId)},${t.price},${t.quantity},${t.takerSide}\n`;
          if (out) await write(res, out);
          const last = page[page.length - 1];
          if (page.length < PAGE || !last) break;
          after = { exchangeTime: last.exchangeTime, tradeId: last.tradeId };
        }
      }
      if (!closed()) res.end();
    } catch (err) {
      if (res.headersSent) {
        // Mid-stream: a truncated CSV must not look complete.
        res.destroy(err instanceof Error ? err : undefined);
        return true;
      }
      const e = isAppError(err) ? err : new AppError('INTERNAL', 'The export failed.');
      if (!isAppError(err))
        api.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'csv export failed');
      res.writeHead(HTTP[errorStatus(e.code)] ?? 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: e.code, message: e.message, details: e.details ?? null } }));
    }
    return true;
  };
}

/** Writes a chunk, waiting for 'drain' when the socket's buffer is full (backpressure). */
function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      res.off('error', reject);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    res.once('error', reject);
  });
}

/** Venue trade ids are digits or UUIDs; quoted anyway if one ever holds a comma or quote. */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
