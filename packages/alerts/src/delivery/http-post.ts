import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './ssrf-guard.ts';

export interface PostResult {
  /** HTTP status, or 0 when no response came (connection error, timeout). */
  status: number;
  error: string | null;
}

/** Response bytes read (and discarded) at most: a receiver cannot make us buffer its answer. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs `body` to a checked target over a connection to its resolved address: the `lookup` hook hands
 * the socket the address the guard checked, so the name is not resolved a second time (DNS rebinding),
 * while the Host header and TLS (SNI, certificate name) still use the host name. Redirects are not
 * followed: a 3xx is returned as is and the caller treats it as a failure (a redirect could point
 * anywhere, including inside our network). The whole exchange is bounded by `timeoutMs`.
 */
export function postJson(
  target: ResolvedTarget,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostResult> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else cb(null, target.address, target.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = send(
      target.url,
      {
        method: 'POST',
        lookup: pinned,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const status = res.statusCode ?? 0;
        res.on('end', () => done({ status, error: null }));
        res.on('close', () => done({ status, error: null }));
        res.on('error', () => done({ status, error: null }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: 0, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err) => done({ status: 0, error: err.message }));
    req.end(body);
  });
}
