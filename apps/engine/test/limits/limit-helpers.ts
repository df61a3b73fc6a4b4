import type { TestEngine } from '../support/test-engine.ts';

/** One answer of a raw HTTP call: status, the headers the limiter sets, and the tRPC error if any. */
export interface RawAnswer {
  status: number;
  policy: string | null;
  rateLimit: string | null;
  retryAfter: string | null;
  appCode: string | null;
  details: Record<string, unknown> | null;
}

/**
 * A tRPC call over plain HTTP (GET for queries, POST for mutations), so the test sees the status and
 * headers as any HTTP client would.
 */
export async function raw(
  t: TestEngine,
  credential: string,
  path: string,
  input?: unknown,
  method: 'GET' | 'POST' = 'GET',
): Promise<RawAnswer> {
  const qs =
    method === 'GET' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : '';
  const res = await fetch(`${t.url}/${path}${qs}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: JSON.stringify(input ?? null) } : {}),
  });
  const body = (await res.json()) as {
    error?: { data?: { appCode?: string; details?: Record<string, unknown> } };
  };
  return {
    status: res.status,
    policy: res.headers.get('ratelimit-policy'),
    rateLimit: res.headers.get('ratelimit'),
    retryAfter: res.headers.get('retry-after'),
    appCode: body.error?.data?.appCode ?? null,
    details: body.error?.data?.details ?? null,
  };
}

/** `r` (units left) of one budget in a `RateLimit` header: `"key";r=118;t=1, "tenant";r=238;t=1`. */
export function remainingOf(header: string | null, scope: string): number {
  const m = new RegExp(`"${scope}";r=(\\d+);t=(\\d+)`).exec(header ?? '');
  if (!m) throw new Error(`no "${scope}" in RateLimit: ${header}`);
  return Number(m[1]);
}

/** A key with the given scopes for the tenant of `sessionToken`. */
export async function apiKeyFor(
  t: TestEngine,
  sessionToken: string,
  scopes: ('read' | 'trade' | 'manage')[] = ['read', 'trade'],
) {
  const created = await t.client(sessionToken).apiKeys.create.mutate({ name: `k-${Math.random()}`, scopes });
  return created.secret;
}

/** Runs `calls` from `concurrency` loops; returns the answers in completion order. */
export async function flood<T>(
  calls: number,
  concurrency: number,
  call: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const i = next++;
        out.push(await call(i));
      }
    }),
  );
  return out;
}

/** The value of one sample of a metric in Prometheus text (first match of `name{labels}`). */
export async function metricValue(t: TestEngine, name: string, labels = ''): Promise<number> {
  const text = await t.engine.metrics.registry.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`) && !l.startsWith('#'));
  if (!line) return Number.NaN;
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
