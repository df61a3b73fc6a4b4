import { type ApiKeyScope, AppError, errorStatus, isAppError } from '@qt/shared';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { authenticate } from './auth/authenticate.ts';
import { type Principal, requireScope } from './auth/principal.ts';
import type { RequestContext } from './context.ts';

/**
 * The API's one tRPC instance: context, error formatter and the named procedure kinds every router uses.
 *
 * Errors: domain code throws `AppError` with a stable code; `mapAppErrors` turns it into a TRPCError of
 * the matching class (the only AppError -> transport mapping), and the formatter puts the stable code in
 * `error.data.appCode` where scripts can branch on it. Anything unexpected is logged and reported as a
 * bare INTERNAL error: stack traces and driver messages never reach a caller.
 */
const t = initTRPC.context<RequestContext>().create({
  // Stack traces never go to callers, whatever NODE_ENV says; they are in the engine log.
  isDev: false,
  errorFormatter({ shape, error }) {
    const app = error.cause instanceof AppError ? error.cause : null;
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const internal = error.code === 'INTERNAL_SERVER_ERROR' && !app;
    return {
      ...shape,
      message: internal ? 'Internal error. It was logged; try again or contact support.' : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        appCode: app?.code ?? (zod ? 'VALIDATION_FAILED' : internal ? 'INTERNAL' : null),
        details: app?.details ?? null,
        issues: zod ? zod.issues.map((i) => ({ path: i.path.map(String), message: i.message })) : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const mapAppErrors = t.middleware(async ({ ctx, path, type, next }) => {
  const started = performance.now();
  const result = await next();
  const durationMs = performance.now() - started;
  let code: string | null = null;
  if (!result.ok) {
    const cause = result.error.cause;
    code = isAppError(cause) ? cause.code : result.error.code;
    if (result.error.code === 'INTERNAL_SERVER_ERROR' && !isAppError(cause)) {
      ctx.deps.logger.error({ err: cause ?? result.error, path, type }, 'procedure failed');
    }
  }
  ctx.deps.observe?.({ path, type, durationMs, ok: result.ok, code });
  if (!result.ok && isAppError(result.error.cause)) {
    const app = result.error.cause;
    throw new TRPCError({ code: errorStatus(app.code), message: app.message, cause: app });
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapAppErrors);

function withScope(scope: ApiKeyScope) {
  return publicProcedure.use(async ({ ctx, next }) => {
    const principal: Principal = await authenticate(ctx);
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
