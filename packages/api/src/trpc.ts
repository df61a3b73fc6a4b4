import { type ApiKeyScope, AppError, errorStatus, isAppError } from '@qt/shared';
import { initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { authenticate } from './auth/authenticate.ts';
import { type Principal, requireScope } from './auth/principal.ts';
import type { LiveConnection, RequestContext } from './context.ts';

/**
 * The API's one tRPC instance: context, error formatter and the named procedure kinds every router uses.
 *
 * Errors: domain code throws `AppError` with a stable code; `mapAppErrors` turns it into a TRPCError of
 * the matching class (the only AppError -> transport mapping), and the formatter puts the stable code in
 * `error.data.appCode` where scripts can branch on it. A database that cannot be reached becomes
 * SERVICE_UNAVAILABLE (503, `details.retryAfterSeconds`, sent as `Retry-After` by the HTTP server), not a
 * bare 500. Anything else unexpected is logged and reported as a bare INTERNAL error: stack traces and
 * driver messages never reach a caller.
 */
const t = initTRPC.context<RequestContext>().create({
  // Stack traces never go to callers, whatever NODE_ENV says; they are in the engine log.
  isDev: false,
  errorFormatter({ shape, error }) {
    const app = error.cause instanceof AppError ? error.cause : null;
    const zod = error.cause instanceof ZodError ? error.cause : null;
    // tRPC's own JSON.parse of the body failed: the request is malformed, not our fault.
    const malformed = !app && error.cause instanceof SyntaxError && error.code === 'BAD_REQUEST';
    const internal = error.code === 'INTERNAL_SERVER_ERROR' && !app;
    // An AppError thrown where no middleware could map it (inside a running subscription) arrives wrapped
    // as INTERNAL_SERVER_ERROR: its class comes from its code here too, so "not found" is 404-class on
    // every transport.
    const status = app ? errorStatus(app.code) : shape.data.code;
    return {
      ...shape,
      code: app ? TRPC_ERROR_CODES_BY_KEY[status] : shape.code,
      message: internal
        ? 'Internal error. It was logged; try again or contact support.'
        : malformed
          ? 'The request body is not valid JSON.'
          : shape.message,
      data: {
        code: status,
        httpStatus: app ? getHTTPStatusCodeFromError(new TRPCError({ code: status })) : shape.data.httpStatus,
        path: shape.data.path,
        appCode:
          app?.code ??
          (zod ? 'VALIDATION_FAILED' : malformed ? 'REQUEST_MALFORMED' : internal ? 'INTERNAL' : null),
        details: app?.details ?? null,
        issues: zod ? zod.issues.map((i) => ({ path: i.path.map(String), message: i.message })) : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** How long a caller is told to wait (`Retry-After`) when the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const unreachableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** Prisma: can't reach, timed out, server closed the connection, pool timeout. */
const unreachablePrismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const unreachableAdapterKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);

/**
 * Whether `err` (or one of its causes) says the database cannot be reached now, as opposed to a query
 * that is wrong. Covers Prisma's codes, the pg driver adapter's kinds, node socket errors, pg's own
 * "Connection terminated" errors and PostgreSQL's connection-class SQLSTATEs (08xxx, shutdown, too many
 * connections).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e && typeof e === 'object'; depth++) {
    const o = e as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
      cause?: unknown;
    };
    const code = typeof o.code === 'string' ? o.code : '';
    if (unreachablePrismaCodes.has(code) || unreachableErrnos.has(code)) return true;
    if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (o.name === 'PrismaClientInitializationError') return true;
    const kind = o.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string' && unreachableAdapterKinds.has(kind)) return true;
    if (
      typeof o.message === 'string' &&
      /^Connection terminated|timeout exceeded when trying to connect/.test(o.message)
    )
      return true;
    e = o.cause;
  }
  return false;
}

function databaseUnavailable(cause: unknown): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `The database is unreachable right now; nothing was changed. Try again in ${DATABASE_RETRY_AFTER_SECONDS} s.`,
    { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS, dependency: 'database' },
    { cause },
  );
}

/** The one AppError -> transport mapping. */
function toTRPCError(app: AppError): TRPCError {
  return new TRPCError({ code: errorStatus(app.code), message: app.message, cause: app });
}

/** Errors raised while a subscription streams get the same mapping as a call's. */
async function* mapStreamErrors(
  source: AsyncIterable<unknown>,
  onEnd: () => void,
): AsyncGenerator<unknown, void, undefined> {
  try {
    for await (const value of source) yield value;
  } catch (err) {
    if (isAppError(err)) throw toTRPCError(err);
    if (isDatabaseUnavailable(err)) throw toTRPCError(databaseUnavailable(err));
    throw err;
  } finally {
    onEnd();
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Takes one of the connection's subscription slots; the returned function gives it back (once, however
 * often it is called: on the stream's end and on its abort, whichever comes first).
 */
function takeSubscriptionSlot(connection: LiveConnection, signal: AbortSignal | undefined): () => void {
  if (connection.subscriptions >= connection.maxSubscriptions) {
    throw new AppError(
      'SUBSCRIPTION_LIMIT',
      `This connection already runs ${connection.maxSubscriptions} subscriptions, the most one WebSocket may hold. Stop one first, or open another connection.`,
      { limit: connection.maxSubscriptions },
    );
  }
  connection.subscriptions++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    connection.subscriptions--;
    signal?.removeEventListener('abort', release);
  };
  signal?.addEventListener('abort', release, { once: true });
  return release;
}

const mapAppErrors = t.middleware(async ({ ctx, path, type, signal, next }) => {
  const started = performance.now();
  let release: (() => void) | null = null;
  let result: Awaited<ReturnType<typeof next>>;
  try {
    if (type === 'subscription' && ctx.connection) release = takeSubscriptionSlot(ctx.connection, signal);
    result = await next();
  } catch (err) {
    // Only the slot check throws here (next() reports failures in its result).
    release?.();
    if (isAppError(err)) throw toTRPCError(err);
    throw err;
  }
  const durationMs = performance.now() - started;
  let code: string | null = null;
  let cause = result.ok ? undefined : result.error.cause;
  if (!result.ok) {
    release?.();
    if (!isAppError(cause) && isDatabaseUnavailable(cause ?? result.error)) {
      ctx.deps.logger.warn({ err: String(cause ?? result.error), path, type }, 'database unreachable');
      cause = databaseUnavailable(cause ?? result.error);
    }
    code = isAppError(cause) ? cause.code : result.error.code;
    if (result.error.code === 'INTERNAL_SERVER_ERROR' && !isAppError(cause)) {
      ctx.deps.logger.error({ err: cause ?? result.error, path, type }, 'procedure failed');
    }
  }
  ctx.deps.observe?.({ path, type, durationMs, ok: result.ok, code });
  if (!result.ok && isAppError(cause)) throw toTRPCError(cause);
  if (result.ok && type === 'subscription' && isAsyncIterable(result.data)) {
    return { ...result, data: mapStreamErrors(result.data, release ?? (() => {})) };
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapAppErrors);

/**
 * The credential check fails closed when the rate-limit store (Redis) is down; the limiter's own message
 * speaks of sign-in, which is wrong for a script reading its orders. Say what is unavailable, for what.
 */
async function authenticateOrExplain(ctx: RequestContext): Promise<Principal> {
  try {
    return await authenticate(ctx);
  } catch (err) {
    // Database errors reach this point raw (they are mapped in `mapAppErrors`), so an AppError with this
    // code comes from the attempt limiter's store.
    if (isAppError(err) && err.code === 'SERVICE_UNAVAILABLE') {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Calls that need a credential (API key or session) are briefly refused: the engine cannot reach ' +
          'its rate-limit store (Redis), and it does not check credentials unlimited. Public calls still ' +
          'work; try again in a few seconds.',
        { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS, dependency: 'redis' },
        { cause: err },
      );
    }
    throw err;
  }
}

function withScope(scope: ApiKeyScope) {
  return publicProcedure.use(async ({ ctx, next }) => {
    const principal: Principal = await authenticateOrExplain(ctx);
    requireScope(principal, scope);
    return next({ ctx: { ...ctx, principal } });
  });
}

/** Any signed-in person or API key with the `read` scope. */
export const authedProcedure = withScope('read');
/** Placing orders, running strategies: TRADER and up, or a key with `trade`. */
export const tradeProcedure = withScope('trade');
/** Tenant settings and API keys: ADMIN and up, or a key with `manage`. */
export const manageProcedure = withScope('manage');
