/**
 * Calling the Quant-Trader API from your own script with an API key, within your plan's rate limits.
 *
 *   QT_API_KEY=qt_... npx tsx examples/api-key-client.ts
 *
 * ENGINE_URL is where the engine is, as for `npm start` and the dashboard (default http://127.0.0.1:4000;
 * the API is under /trpc). Create a key in the dashboard under Settings -> API keys. Every error carries a stable code in `error.data.appCode` (e.g. AUTH_API_KEY_REVOKED).
 *
 * Rate limits: every answer to an authenticated call carries the IETF RateLimit header fields, one member
 * per budget the call was counted against (per key, per tenant, and for orders):
 *
 *   RateLimit-Policy: "key";q=600;w=60, "tenant";q=1200;w=60     (q units per w seconds)
 *   RateLimit: "key";r=118;t=1, "tenant";r=238;t=1               (r units left, t s until full again)
 *
 * A call over a budget gets HTTP 429 with `Retry-After` (seconds) and `appCode` RATE_LIMITED, with
 * `details { tier, scope, limit, windowSeconds, resetSeconds, retryAfterSeconds, nextTier }`. This
 * script reads the headers, slows down before it runs out, and waits `Retry-After` when refused.
 */
import type { AppRouter } from '@qt/api';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';

if (process.env.QT_API_URL !== undefined) {
  // The old name: one variable for the engine's address everywhere, so a stale one is not silently ignored.
  console.error(
    'QT_API_URL is no longer read: set ENGINE_URL to the engine, e.g. ENGINE_URL=http://127.0.0.1:4000',
  );
  process.exit(2);
}
const engineUrl = (process.env.ENGINE_URL ?? 'http://127.0.0.1:4000')
  .replace(/\/+$/, '')
  .replace(/\/trpc$/, '');
if (!/^https?:\/\/[^/]/.test(engineUrl)) {
  console.error(
    `ENGINE_URL must be the engine's http(s) address, like http://127.0.0.1:4000 (got "${engineUrl}").`,
  );
  process.exit(2);
}
const url = `${engineUrl}/trpc`;
const apiKey = process.env.QT_API_KEY;
if (!apiKey) {
  console.error('Set QT_API_KEY to a key from Settings -> API keys.');
  process.exit(2);
}

/** The state of each budget from the last answer: units left and seconds until the bucket is full. */
const budgets = new Map<string, { remaining: number; resetSeconds: number }>();
/** Seconds the server asked us to wait (Retry-After of the last 429). */
let retryAfterSeconds = 0;

/** Parses `"key";r=118;t=1, "tenant";r=238;t=1` into the map above. */
function readRateLimit(headers: Headers): void {
  const value = headers.get('ratelimit');
  if (value) {
    for (const m of value.matchAll(/"([^"]+)";r=(\d+);t=(\d+)/g)) {
      budgets.set(m[1] as string, { remaining: Number(m[2]), resetSeconds: Number(m[3]) });
    }
  }
  const retry = headers.get('retry-after');
  retryAfterSeconds = retry ? Number(retry) : 0;
}

/** fetch that keeps the headers the client library does not surface. */
const trackingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  readRateLimit(res.headers);
  return res;
};

const client = createTRPCClient<AppRouter>({
  links: [httpLink({ url, headers: { authorization: `Bearer ${apiKey}` }, fetch: trackingFetch })],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`, backing off politely: waits Retry-After on a 429 (up to `attempts` times), and spreads
 * calls out when a budget is nearly spent instead of running into the wall.
 */
async function withinLimits<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const low = [...budgets.values()].find((b) => b.remaining < 5);
    if (low) await sleep(Math.min(1_000, (low.resetSeconds * 1000) / Math.max(1, low.remaining + 1)));
    try {
      return await call();
    } catch (err) {
      const appCode =
        err instanceof TRPCClientError ? (err.data as { appCode?: string } | undefined)?.appCode : null;
      if (appCode !== 'RATE_LIMITED' || attempt >= attempts) throw err;
      const details = (err as TRPCClientError<AppRouter>).data as {
        details?: { nextTier?: { tier: string; limit: number } | null };
      };
      const wait = Math.max(1, retryAfterSeconds);
      const hint = details.details?.nextTier
        ? ` (the ${details.details.nextTier.tier} plan allows ${details.details.nextTier.limit})`
        : '';
      console.error(`rate limited; waiting ${wait} s${hint}`);
      await sleep(wait * 1000 + Math.random() * 250);
    }
  }
}

try {
  const version = await withinLimits(() => client.system.version.query());
  const me = await withinLimits(() => client.accounts.me.query());
  console.log(
    JSON.stringify({
      engine: version.version,
      tenant: me.tenant.name,
      tier: me.tenant.tier,
      scopes: me.scopes,
      budgets: Object.fromEntries(budgets),
    }),
  );
} catch (err) {
  if (err instanceof TRPCClientError && !(err.data as { appCode?: string } | undefined)?.appCode) {
    // No answer from the engine at all (nothing listening, wrong host, DNS): say where we looked.
    const cause = err.cause instanceof Error ? (err.cause.cause ?? err.cause) : null;
    const why = cause instanceof Error ? cause.message : err.message;
    console.error(
      `cannot reach the engine at ${engineUrl} (${why}). Is it running? Set ENGINE_URL if it is elsewhere.`,
    );
    process.exit(1);
  }
  if (err instanceof TRPCClientError) {
    const appCode = (err.data as { appCode?: string } | undefined)?.appCode ?? 'UNKNOWN';
    console.error(`refused: ${appCode}: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
