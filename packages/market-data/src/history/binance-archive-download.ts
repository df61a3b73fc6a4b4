/**
 * Downloads one Binance archive zip and its `.CHECKSUM` (`<sha256 hex>  <file name>`, as `sha256sum`
 * writes it) and hands the zip back only when its SHA-256 matches. Every failure is an
 * `ArchiveFileError` with a reason, and the caller fetches that span by REST instead: the archive is a
 * faster path, never the only one.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@qt/shared';

export type ArchiveFailure =
  /** 404 (or 403, S3's answer for a key that does not exist): the file is not published (yet). */
  | 'not-published'
  /** The zip's SHA-256 is not the one in its CHECKSUM file. */
  | 'checksum-mismatch'
  /** The CHECKSUM file or the zip's content is not what the archive publishes. */
  | 'malformed'
  /** Larger than the configured cap (a bound on the memory one file may take). */
  | 'too-large'
  /** Network errors, timeouts or 5xx on every attempt. */
  | 'unreachable';

export class ArchiveFileError extends AppError {
  readonly reason: ArchiveFailure;
  readonly path: string;
  constructor(reason: ArchiveFailure, path: string, detail: string) {
    super('SERVICE_UNAVAILABLE', `Binance archive file ${path}: ${reason} (${detail}).`, {
      reason,
      path,
      detail,
    });
    this.name = 'ArchiveFileError';
    this.reason = reason;
    this.path = path;
  }
}

export interface ArchiveDownloadOptions {
  /** Base URL, e.g. https://data.binance.vision (no trailing slash needed). */
  baseUrl: string;
  fetch?: typeof fetch;
  /** Per request, body included; default 60 s (a month of 1m candles is a few MB). */
  timeoutMs?: number;
  /** Attempts per request on network errors, timeouts and 5xx; default 3. */
  attempts?: number;
  /** First retry delay, doubled per attempt; default 500 ms. */
  retryBaseMs?: number;
  /** Largest zip accepted; default 64 MiB (a month of BTCUSDT 1m is ~3 MB). */
  maxBytes?: number;
}

export interface VerifiedZip {
  bytes: Uint8Array;
  sha256: string;
  /** HTTP requests made (retries included). */
  requests: number;
}

const CHECKSUM_LINE = /^([0-9a-fA-F]{64})[ \t]+\*?(\S+)\s*$/;

/** The SHA-256 and file name of a CHECKSUM file, or an error naming what is wrong with it. */
export function parseChecksumFile(text: string, path: string): { sha256: string; fileName: string } {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? '';
  const m = CHECKSUM_LINE.exec(line.trim());
  if (!m) throw new ArchiveFileError('malformed', path, 'the CHECKSUM file is not "<sha256>  <file>"');
  return { sha256: (m[1] as string).toLowerCase(), fileName: m[2] as string };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Downloads `path` and `path.CHECKSUM` under the base URL; the zip only if it matches. */
export async function downloadVerifiedZip(
  opts: ArchiveDownloadOptions,
  path: string,
  fileName: string,
  signal?: AbortSignal,
): Promise<VerifiedZip> {
  const counter = { requests: 0 };
  const sumText = new TextDecoder().decode(await get(opts, path, '.CHECKSUM', 4_096, counter, signal));
  const expected = parseChecksumFile(sumText, path);
  if (expected.fileName !== fileName)
    throw new ArchiveFileError('malformed', path, `the CHECKSUM names ${expected.fileName}`);
  const bytes = await get(opts, path, '', opts.maxBytes ?? 64 * 1024 * 1024, counter, signal);
  const actual = sha256Hex(bytes);
  if (actual !== expected.sha256)
    throw new ArchiveFileError('checksum-mismatch', path, `expected ${expected.sha256}, got ${actual}`);
  return { bytes, sha256: actual, requests: counter.requests };
}

/** GET `path + suffix`; errors name `path` (the zip: the file the caller marks as unavailable). */
async function get(
  opts: ArchiveDownloadOptions,
  path: string,
  suffix: string,
  maxBytes: number,
  counter: { requests: number },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const doFetch = opts.fetch ?? fetch;
  const url = `${opts.baseUrl.replace(/\/+$/, '')}${path}${suffix}`;
  const attempts = Math.max(1, opts.attempts ?? 3);
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep((opts.retryBaseMs ?? 500) * 2 ** (attempt - 2), signal);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      counter.requests++;
      const res = await doFetch(url, { signal: both });
      if (res.status === 404 || res.status === 403) {
        await res.body?.cancel();
        throw new ArchiveFileError('not-published', path, `HTTP ${res.status} for ${suffix || 'the zip'}`);
      }
      if (!res.ok) {
        await res.body?.cancel();
        last = `HTTP ${res.status}`;
        if (res.status >= 500 || res.status === 429) continue;
        throw new ArchiveFileError('malformed', path, last);
      }
      return await readCapped(res, maxBytes, path);
    } catch (err) {
      if (err instanceof ArchiveFileError) throw err;
      signal?.throwIfAborted();
      last = err instanceof Error ? err.message : String(err);
    }
  }
  throw new ArchiveFileError('unreachable', path, `${attempts} attempts, last: ${last}`);
}

/** The body, refusing (without reading it all) one longer than `maxBytes`. */
async function readCapped(res: Response, maxBytes: number, path: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new ArchiveFileError('too-large', path, `${declared} bytes`);
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ArchiveFileError('too-large', path, `more than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
