import type { IncomingMessage, ServerResponse } from 'node:http';
import { appRouter } from '@qt/api';
import { AppError, errorStatus, isAppError } from '@qt/shared';
import { TIER_LIMITS } from '@qt/strategy-runtime';
import { getErrorShape, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';

/**
 * Bounds on what one HTTP request may make the engine hold, checked before tRPC sees the request (four
 * unauthenticated 300 MB bodies once took the heap from 0.7 to 3.2 GB). A body is counted while it
 * streams and refused the moment it passes its bound (at once when Content-Length already says so): it
 * is never buffered beyond the bound. Refusals carry tRPC's error shape with `error.data.appCode`.
 */
export interface RequestLimits {
  /** Largest request body, in bytes, for every procedure but the upload. */
  maxBodyBytes: number;
  /** Largest body of `strategies.upload` (a module as base64, plus its name and description). */
  maxUploadBodyBytes: number;
  /** Deepest nesting of JSON arrays and objects in an input (deep JSON costs stack in every parser). */
  maxJsonDepth: number;
  /** Most calls in one batched HTTP request. */
  maxBatchCalls: number;
  /**
   * Bytes of request bodies held at once, all requests together (bodies being read and bodies being
   * served). Past it a request is answered 503 SERVICE_UNAVAILABLE: forty connections each sending a
   * bounded body must not add up to a gigabyte.
   */
  maxBodyBytesInFlight: number;
  /** Time for a body (other than an upload) to arrive; 408 REQUEST_TIMEOUT after it (slow senders). */
  bodyTimeoutMs: number;
  /** Time for an upload's body to arrive. */
  uploadBodyTimeoutMs: number;
}

const MIB = 1024 * 1024;
const largestModule = Math.max(...Object.values(TIER_LIMITS).map((l) => l.moduleBytes));

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxBodyBytes: MIB,
  // Without a credential check (`AdmitOptions.uploadLimit`): the largest tier's.
  maxUploadBodyBytes: uploadBodyBytes(largestModule),
  maxJsonDepth: 32,
  maxBatchCalls: 10,
  maxBodyBytesInFlight: 64 * MIB,
  bodyTimeoutMs: 10_000,
  uploadBodyTimeoutMs: 60_000,
};

/** The upload body bound for a module cap: base64 is 4 bytes per 3, plus 64 KiB for the JSON around it. */
export function uploadBodyBytes(moduleBytes: number): number {
  return Math.ceil(moduleBytes / 3) * 4 + 64 * 1024;
}

/** The body bytes all requests hold now, against `maxBodyBytesInFlight` (one per server). */
export class BodyBudget {
  #held = 0;
  constructor(readonly max: number) {}
  get held(): number {
    return this.#held;
  }
  take(bytes: number): boolean {
    if (this.#held + bytes > this.max) return false;
    this.#held += bytes;
    return true;
  }
  give(bytes: number): void {
    this.#held -= bytes;
  }
}

export interface AdmitOptions {
  /** Bytes held by all requests together; unbounded without it. */
  budget?: BodyBudget;
  /**
   * The body bound for an upload by this request's caller, checked before a byte of the body is read:
   * verifies the credential (throws its typed error) and answers the caller's tier's bound.
   */
  uploadLimit?(req: IncomingMessage): Promise<number>;
}

/** The only procedures whose bodies may exceed `maxBodyBytes`. */
const UPLOAD_PATHS = new Set(['strategies.upload']);
/** Procedures that judge secrets under attempt limits: never combined with other calls in one request. */
const isAuthPath = (path: string) => path.startsWith('auth.');
const procedures = appRouter._def.procedures as Record<string, { _def?: { type?: string } } | undefined>;
const isSubscriptionPath = (path: string) =>
  Object.hasOwn(procedures, path) && procedures[path]?._def?.type === 'subscription';

export interface TrpcCall {
  paths: string[];
  batch: boolean;
}

/** The procedure paths of a request to `basePath` (e.g. `/trpc/`), as tRPC will read them. */
export function parseTrpcCall(url: string, basePath: string): TrpcCall {
  const u = new URL(url, 'http://engine.invalid');
  let path = u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) : '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // tRPC answers a path it cannot decode as "not found"; nothing to bound here.
  }
  const batch = u.searchParams.get('batch') === '1';
  return { paths: batch ? path.split(',') : [path], batch };
}

/**
 * Whether JSON text nests arrays/objects deeper than `max`. One pass over the characters, no allocation,
 * so it is safe to run on text that would be dangerous to parse.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

function tooDeep(max: number): AppError {
  return new AppError(
    'REQUEST_MALFORMED',
    `The input nests arrays and objects more than ${max} levels deep.`,
    { maxDepth: max },
  );
}

/**
 * Checks a tRPC request against `limits`. When it passes, the body (if any) has been read within its
 * bound and is left on `req.body`, where tRPC's adapter takes it instead of reading the stream again;
 * returns true. When it does not, the typed error has been sent and the connection is closed; returns false.
 */
export async function admitTrpcRequest(
  req: IncomingMessage,
  res: ServerResponse,
  call: TrpcCall,
  limits: RequestLimits,
  opts: AdmitOptions = {},
): Promise<boolean> {
  // tRPC would serve a subscription over HTTP as an SSE stream, outside the WebSocket's subscription cap
  // and its revocation checks (and SSE is switched off in the router, so it would only fail later, after
  // running the procedure). Refused here, before any work.
  if (call.paths.some(isSubscriptionPath)) {
    return refuse(
      req,
      res,
      call,
      new AppError(
        'SUBSCRIPTION_NEEDS_WEBSOCKET',
        `Subscriptions run over the WebSocket at /trpc only (tRPC's wsLink), not over HTTP.`,
      ),
    );
  }
  if (call.batch && call.paths.length > limits.maxBatchCalls) {
    return refuse(
      req,
      res,
      call,
      new AppError(
        'BATCH_TOO_LARGE',
        `A batch may hold at most ${limits.maxBatchCalls} calls; this one has ${call.paths.length}. Split it.`,
        { maxCalls: limits.maxBatchCalls, calls: call.paths.length },
      ),
    );
  }
  if (call.batch && call.paths.length > 1 && call.paths.some(isAuthPath)) {
    return refuse(
      req,
      res,
      call,
      new AppError(
        'BATCH_NOT_ALLOWED',
        'Sign-in, sign-up and other auth.* calls cannot be batched with other calls. Send each on its own.',
      ),
    );
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    const input = new URL(req.url ?? '/', 'http://engine.invalid').searchParams.get('input');
    if (input && jsonDeeperThan(input, limits.maxJsonDepth + (call.batch ? 1 : 0))) {
      return refuse(req, res, call, tooDeep(limits.maxJsonDepth));
    }
    return true;
  }

  // The large bound only for an upload whose credential was verified first (any "Bearer x" used to be
  // enough), and only as large as the caller's tier allows: a refused upload never makes the engine
  // hold megabytes. Until the body is read, Node stops reading the socket (backpressure).
  const upload = call.paths.every((p) => UPLOAD_PATHS.has(p)) && !!req.headers.authorization;
  let limit = upload ? limits.maxUploadBodyBytes : limits.maxBodyBytes;
  if (upload && opts.uploadLimit) {
    try {
      limit = Math.min(limit, await opts.uploadLimit(req));
    } catch (err) {
      if (isAppError(err)) return refuse(req, res, call, err);
      throw err;
    }
  }
  const tooLarge = new AppError(
    'REQUEST_TOO_LARGE',
    `The request body is larger than ${limit} bytes, the most this call accepts.`,
    { maxBytes: limit },
  );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return refuse(req, res, call, tooLarge);

  // What this request holds of the budget is given back when its exchange ends, whatever the outcome.
  let held = 0;
  const budget = opts.budget;
  if (budget) res.once('close', () => budget.give(held));
  const take = (bytes: number) => {
    if (budget && !budget.take(bytes)) return false;
    held += bytes;
    return true;
  };
  const timeoutMs = upload ? limits.uploadBodyTimeoutMs : limits.bodyTimeoutMs;
  const body = await readBounded(req, limit, take, timeoutMs);
  if (body === 'too-large') return refuse(req, res, call, tooLarge);
  if (body === 'aborted') return false;
  if (body === 'busy') {
    return refuse(
      req,
      res,
      call,
      new AppError(
        'SERVICE_UNAVAILABLE',
        'The engine is reading too many request bodies at once. Try again in a second.',
        { retryAfterSeconds: 1, reason: 'REQUEST_BODIES_BUSY' },
      ),
    );
  }
  if (body === 'timeout') {
    return refuse(
      req,
      res,
      call,
      new AppError('REQUEST_TIMEOUT', `The request body did not arrive within ${timeoutMs / 1000} s.`, {
        timeoutMs,
      }),
    );
  }
  // A batch wraps each input in one more object level.
  if (jsonDeeperThan(body, limits.maxJsonDepth + (call.batch ? 1 : 0))) {
    return refuse(req, res, call, tooDeep(limits.maxJsonDepth));
  }
  (req as IncomingMessage & { body?: string }).body = body;
  return true;
}

type ReadOutcome = string | 'too-large' | 'aborted' | 'busy' | 'timeout';

/**
 * Reads the body while counting; stops taking data the moment it passes `limit`, when `take` refuses a
 * chunk (the engine-wide budget is spent) or when `timeoutMs` has passed.
 */
function readBounded(
  req: IncomingMessage,
  limit: number,
  take: (bytes: number) => boolean,
  timeoutMs: number,
): Promise<ReadOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const stop = (result: 'too-large' | 'busy' | 'timeout') => {
      chunks.length = 0;
      // Stop the flow: what is still in transit stays in the socket until it is closed.
      req.pause();
      done(result);
    };
    const done = (result: ReadOutcome) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop('too-large');
      if (!take(chunk.length)) return stop('busy');
      chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks, size).toString('utf8'));
    const onAbort = () => done('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

/** Sends `err` in tRPC's error shape (one per call for a batch) and closes the connection. */
function refuse(req: IncomingMessage, res: ServerResponse, call: TrpcCall, err: AppError): false {
  const error = new TRPCError({ code: errorStatus(err.code), message: err.message, cause: err });
  const shapeOf = (path: string | undefined) =>
    getErrorShape({
      config: appRouter._def._config,
      error,
      type: 'unknown',
      path,
      input: undefined,
      ctx: undefined,
    });
  const body = call.batch
    ? call.paths.map((p) => ({ error: shapeOf(p) }))
    : { error: shapeOf(call.paths[0]) };
  // The unread rest of the body must not be read (or kept): the connection ends with this answer.
  res.shouldKeepAlive = false;
  const retryAfter = err.details?.retryAfterSeconds;
  res.writeHead(getHTTPStatusCodeFromError(error), {
    'content-type': 'application/json',
    connection: 'close',
    ...(typeof retryAfter === 'number' ? { 'retry-after': String(Math.ceil(retryAfter)) } : {}),
  });
  res.end(JSON.stringify(body), () => {
    // Give the client a moment to read the answer before the socket (and what it still sends) goes.
    setTimeout(() => req.socket.destroy(), 1_000).unref();
  });
  return false;
}
