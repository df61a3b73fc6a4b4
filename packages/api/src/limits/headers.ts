import type { PolicyState } from './request-limiter.ts';

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` lists each
 * budget the request was counted against (`q` units per `w` seconds), `RateLimit` its state now (`r` units
 * left, `t` seconds until the bucket is full again). Structured-field lists, one member per budget:
 *
 *   RateLimit-Policy: "key";q=600;w=60, "tenant";q=1200;w=60
 *   RateLimit: "key";r=118;t=1, "tenant";r=238;t=1
 */
export function rateLimitHeaders(
  policies: readonly PolicyState[] | null | undefined,
): Record<string, string> {
  if (!policies || policies.length === 0) return {};
  return {
    'ratelimit-policy': policies.map((p) => `"${p.scope}";q=${p.limit};w=${p.windowSeconds}`).join(', '),
    ratelimit: policies.map((p) => `"${p.scope}";r=${p.remaining};t=${p.resetSeconds}`).join(', '),
  };
}
