import { isDatabaseUnavailable } from '@qt/db';
import { type ApiKeyScope, AppError, errorStatus, isAppError } from '@qt/shared';
import { initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { authenticate, type CredentialPreread, credentialAttemptKey } from './auth/authenticate.ts';
import { type Principal, requireScope } from './auth/principal.ts';
import type { ApiDeps, LiveConnection, RequestContext } from './context.ts';
import { checkPlaceManySize } from './domains/trading/place-many.ts';
import type { StoredValue } from './limits/redis-buckets.ts';
import { type PolicyState, policiesOf, type RequestLimiter, readAlong } from './limits/request-limiter.ts';

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
  // Subscriptions run over the WebSocket only, where the connection is counted (subscription cap) and
  // closed when its access is taken away; an HTTP (SSE) stream would escape both.
  sse: { enabled: false },
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

/**
 * Whether `err` says the database cannot be reached now (one definition in @qt/db, shared with billing's
 * webhook): such a call is answered 503 with Retry-After.
 */
export { isDatabaseUnavailable };

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
  // A connection's queries and mutations running at once are bounded too (a message may carry many).
  let leave: (() => void) | null = null;
  try {
    if (type === 'subscription' && ctx.connection) release = takeSubscriptionSlot(ctx.connection, signal);
    else leave = ctx.connection?.calls?.enter() ?? null;
    result = await next();
  } catch (err) {
    // Only the slot checks throw here (next() reports failures in its result).
    release?.();
    if (isAppError(err)) throw toTRPCError(err);
    throw err;
  } finally {
    leave?.();
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

/** Error mapping only: the base of every procedure kind below. */
const baseProcedure = t.procedure.use(mapAppErrors);

/**
 * Calls without a credential are charged per client address (`ipBucket`: IPv4, or IPv6 /64) against
 * `PUBLIC_RATE`, through the same one-store-call limiter as authenticated calls, with the same headers.
 * `auth.*` is not charged here: sign-up, sign-in and the email links have attempt limiters of their own
 * (per address and per account, tuned to their risk), and a second, lower budget would lock people out.
 */
const limitPublic = t.middleware(async ({ ctx, path, type, next }) => {
  const limiter = ctx.deps.requestLimiter;
  if (!limiter || path.startsWith('auth.')) return next();
  try {
    recordPolicies(ctx, await limiter.checkPublic(ctx.ip, path, type));
  } catch (err) {
    recordPolicies(ctx, policiesOf(err));
    throw err;
  }
  return next();
});

/** A call anyone may make, signed in or not (limited per client address). */
export const publicProcedure = baseProcedure.use(limitPublic);

/**
 * The credential check fails closed when the rate-limit store (Redis) is down; the limiter's own message
 * speaks of sign-in, which is wrong for a script reading its orders. Say what is unavailable, for what.
 */
async function authenticateOrExplain(
  ctx: RequestContext,
  read: boolean,
  preread: CredentialPreread | undefined,
): Promise<Principal> {
  try {
    return await authenticate(ctx, preread);
  } catch (err) {
    // Database errors reach this point raw (they are mapped in `mapAppErrors`), so an AppError with this
    // code comes from the attempt limiter's store.
    if (isAppError(err) && err.code === 'SERVICE_UNAVAILABLE') {
      // Reads go on while Redis is down, for credentials this instance verified lately only: they are
      // checked again against the database (no cache, so a revocation holds), failures counted by a
      // stricter limiter in this process. A credential never seen here fails closed (guesses must stay
      // limited by the shared store), and so do writes.
      const known = read && ctx.credential !== null && ctx.deps.requestLimiter?.wasVerified(ctx.credential);
      const fallback = known ? readFallbackDeps(ctx.deps) : null;
      if (fallback) return authenticate({ ...ctx, deps: fallback });
      ctx.deps.requestLimiter?.noteFailedClosed();
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

const fallbackDepsCache = new WeakMap<ApiDeps, ApiDeps>();
/** The API's dependencies for reads while Redis is down: local credential limiter, no credential cache. */
function readFallbackDeps(deps: ApiDeps): ApiDeps | null {
  const limiter = deps.requestLimiter;
  if (!limiter) return null;
  let fallback = fallbackDepsCache.get(deps);
  if (!fallback) {
    const { credentialCache: _, ...rest } = deps;
    fallback = { ...rest, limiters: { ...deps.limiters, credential: limiter.localCredentialLimiter } };
    fallbackDepsCache.set(deps, fallback);
  }
  return fallback;
}

/** Keeps, per budget, the tightest state seen in this request (a batch has several calls). */
function recordPolicies(ctx: RequestContext, states: readonly PolicyState[] | null): void {
  const holder = ctx.rateLimit;
  if (!holder || !states) return;
  const merged = [...(holder.policies ?? [])];
  for (const s of states) {
    const i = merged.findIndex((m) => m.scope === s.scope);
    if (i < 0) merged.push(s);
    else if (s.remaining < (merged[i] as PolicyState).remaining) merged[i] = s;
  }
  holder.policies = merged;
}

/** Releases `release` when the stream ends or is stopped, like the connection's own slot. */
async function* releasingAtEnd(
  source: AsyncIterable<unknown>,
  release: () => void,
): AsyncGenerator<unknown, void, undefined> {
  try {
    for await (const value of source) yield value;
  } finally {
    release();
  }
}

/**
 * The request limiter (per tier: budgets per key, per tenant and for orders; running calls; WebSocket
 * connection and subscription caps), after authentication and the scope check. Returns what to give back
 * when the call or the subscription ends.
 */
async function limitCall(
  limiter: RequestLimiter,
  ctx: RequestContext,
  principal: Principal,
  path: string,
  type: 'query' | 'mutation' | 'subscription',
  getRawInput: () => Promise<unknown>,
  earlyCheck: Promise<PolicyState[]> | null,
): Promise<() => void> {
  const limits = await limiter.limitsOf(principal);
  const connection = ctx.connection;
  if (connection?.onClose) {
    if (!connection.tenantSlot) {
      const onClose = connection.onClose.bind(connection);
      connection.tenantSlot = Promise.resolve().then(() =>
        onClose(limiter.takeConnection(principal, limits)),
      );
    }
    await connection.tenantSlot;
  }
  // A call holds a running-call slot until it returns (taken before the budget check, so a call refused
  // for it spends no budget, unless its check started early); a subscription holds a subscription slot.
  // A batch of orders is bounded by the plan before anything is charged, then charged per order.
  const orders = path === PLACE_MANY_PATH ? placeManyCount(await getRawInput()) : 1;
  if (path === PLACE_MANY_PATH) checkPlaceManySize(limits.tier, orders);
  let callSlot: (() => void) | null = null;
  try {
    callSlot = type === 'subscription' ? null : limiter.takeCall(principal, limits);
    recordPolicies(
      ctx,
      await (earlyCheck ?? limiter.check(principal, path, type, limits, undefined, orders)),
    );
    if (path === 'market.candles') limiter.checkHistoryDepth(limits, await getRawInput());
  } catch (err) {
    callSlot?.();
    recordPolicies(ctx, policiesOf(err));
    throw err;
  }
  return callSlot ?? limiter.takeSubscription(principal, limits);
}

const PLACE_MANY_PATH = 'orders.placeMany';

/**
 * The orders a placeMany call asks for, from its raw input (zod has not run yet: a malformed input
 * counts as one and is refused by the input check after).
 */
function placeManyCount(raw: unknown): number {
  const orders = (raw as { orders?: unknown } | null)?.orders;
  return Array.isArray(orders) ? Math.max(1, orders.length) : 1;
}

/** A limiter check started before authentication finished, for the principal it was started for. */
interface EarlyCheck {
  principal: Principal;
  states: Promise<PolicyState[]>;
  /** What authentication reads first, read inside the limiter's script (absent: memory buckets). */
  preread?: CredentialPreread;
}

/**
 * Starts the limiter's Redis call while the credential is still being checked (its own Redis read), when
 * the credential was verified a moment ago: the two round trips overlap instead of adding up. Started
 * only when the principal last verified has the scope the procedure needs (a call its scope refuses is
 * never charged), and its result is used whenever authentication yields the same key (or person) of the
 * same tenant: the buckets are the same, so the call is charged once, also right after a tier change
 * (then under the previous tier's budget, for this one call). A credential always names the same key or
 * person and tenant, so a second charge cannot happen for a credential that stays valid; one that turns
 * out revoked was refused anyway (its bucket paid for the try).
 */
function startEarlyCheck(
  ctx: RequestContext,
  path: string,
  type: 'query' | 'mutation' | 'subscription',
  scope: ApiKeyScope,
): EarlyCheck | null {
  const limiter = ctx.deps.requestLimiter;
  const cache = ctx.deps.credentialCache;
  if (!limiter || !cache || !ctx.credential || type === 'subscription') return null;
  // Its charge depends on the input (one order per item), which is not read yet.
  if (path === PLACE_MANY_PATH) return null;
  const principal = cache.peek(ctx.credential, ctx.deps.clock.now());
  if (!principal?.scopes.includes(scope)) return null;
  // What authentication reads first (the address's credential-attempt count, the credential cache's
  // generation) is read inside the limiter's script: the call makes one Redis command, not two.
  const attemptsKey = ctx.deps.limiters.credential.storeKeyOf(credentialAttemptKey(ctx.ip));
  const along =
    limiter.readsAlong && cache.generationKey && attemptsKey
      ? readAlong([attemptsKey, cache.generationKey])
      : undefined;
  const states = limiter.limitsOf(principal).then(
    (limits) => limiter.check(principal, path, type, limits, along),
    (err: unknown) => {
      // No charge will carry the reads: they are made on their own.
      if (along) limiter.fillAlong(along);
      throw err;
    },
  );
  // Awaited later, or dropped when authentication fails: never an unhandled rejection.
  states.catch(() => undefined);
  if (!along) return { principal, states };
  const attempts = along.values.then((v) => v[0] as StoredValue);
  const generation = along.values.then((v) => (v[1] as StoredValue).value);
  // Their reader reports a rejection (the store could not be read): never unhandled here.
  attempts.catch(() => undefined);
  generation.catch(() => undefined);
  return { principal, states, preread: { attempts, generation } };
}

/** Same buckets: the bucket keys name the key (or person) and the tenant, not the tier. */
function sameCaller(a: Principal, b: Principal): boolean {
  return a.tenant.id === b.tenant.id && a.apiKeyId === b.apiKeyId && a.userId === b.userId;
}

function withScope(scope: ApiKeyScope) {
  return baseProcedure
    .use(async ({ ctx, next, type, path }) => {
      const early = startEarlyCheck(ctx, path, type, scope);
      const principal: Principal = await authenticateOrExplain(ctx, type !== 'mutation', early?.preread);
      if (ctx.credential) ctx.deps.requestLimiter?.noteVerified(ctx.credential);
      requireScope(principal, scope);
      const earlyCheck = early && sameCaller(early.principal, principal) ? early.states : null;
      return next({ ctx: { ...ctx, principal, earlyCheck } });
    })
    .use(async ({ ctx, next, path, type, signal, getRawInput }) => {
      const limiter = ctx.deps.requestLimiter;
      if (!limiter) return next();
      const release = await limitCall(limiter, ctx, ctx.principal, path, type, getRawInput, ctx.earlyCheck);
      if (type !== 'subscription') {
        try {
          return await next();
        } finally {
          release();
        }
      }
      signal?.addEventListener('abort', release, { once: true });
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next();
      } catch (err) {
        release();
        throw err;
      }
      if (!result.ok || !isAsyncIterable(result.data)) {
        release();
        return result;
      }
      return { ...result, data: releasingAtEnd(result.data, release) };
    });
}

/** Any signed-in person or API key with the `read` scope. */
export const authedProcedure = withScope('read');
/** Placing orders, running strategies: TRADER and up, or a key with `trade`. */
export const tradeProcedure = withScope('trade');
/** Tenant settings and API keys: ADMIN and up, or a key with `manage`. */
export const manageProcedure = withScope('manage');
