import { appRouter } from '@qt/api';
import { AppError, errorStatus } from '@qt/shared';
import { getErrorShape, TRPCError } from '@trpc/server';

/**
 * Bounds on the calls one WebSocket connection may start. tRPC starts every call of a message array at
 * once, so without these one 1 MiB message could start ~20,000 calls.
 *
 * - Calls in one message: at most `WS_MAX_BATCH_CALLS`. More than HTTP's 10 because tRPC's own client
 *   sends every call queued in one tick as one array, and on a reconnect re-sends all the connection's
 *   subscriptions (up to the 50 it may hold) in one array; 64 leaves room for a few calls beside them.
 * - `auth.*` calls (they judge secrets under attempt limits) only alone, as over HTTP.
 * - Queries and mutations running at once per connection: at most `WS_MAX_CALLS_IN_FLIGHT`; one more is
 *   answered `CALLS_IN_FLIGHT_LIMIT` (subscriptions have their own cap of 50). As large as a message may
 *   be, because no call of a message ends before the last one starts (tRPC starts them in one turn): a
 *   smaller bound would refuse part of every full message.
 * A refused array is answered with one typed error per call id and none of its calls runs.
 */
export const WS_MAX_BATCH_CALLS = 64;
export const WS_MAX_CALLS_IN_FLIGHT = WS_MAX_BATCH_CALLS;

const isAuthPath = (path: unknown) => typeof path === 'string' && path.startsWith('auth.');

interface WsCall {
  id?: unknown;
  jsonrpc?: unknown;
  method?: unknown;
  params?: { path?: unknown };
}

/** The answers refusing a message (one per call that has an id), or null when it may run. */
export function refuseWsMessage(text: string): string[] | null {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    // tRPC answers what it cannot parse itself (PARSE_ERROR); nothing is started.
    return null;
  }
  if (!Array.isArray(msg)) return null;
  const calls = msg as WsCall[];
  let reason: AppError | null = null;
  if (calls.length > WS_MAX_BATCH_CALLS) {
    reason = new AppError(
      'BATCH_TOO_LARGE',
      `A WebSocket message may hold at most ${WS_MAX_BATCH_CALLS} calls; this one has ${calls.length}. Split it.`,
      { maxCalls: WS_MAX_BATCH_CALLS, calls: calls.length },
    );
  } else if (calls.length > 1 && calls.some((c) => isAuthPath(c?.params?.path))) {
    reason = new AppError(
      'BATCH_NOT_ALLOWED',
      'Sign-in, sign-up and other auth.* calls cannot be batched with other calls. Send each on its own.',
    );
  }
  if (!reason) return null;
  const error = new TRPCError({ code: errorStatus(reason.code), message: reason.message, cause: reason });
  const answers: string[] = [];
  for (const call of calls) {
    const id = call?.id;
    if (typeof id !== 'number' && typeof id !== 'string') continue;
    const path = typeof call.params?.path === 'string' ? call.params.path : undefined;
    const shape = getErrorShape({
      config: appRouter._def._config,
      error,
      type: 'unknown',
      path,
      input: undefined,
      ctx: undefined,
    });
    answers.push(JSON.stringify({ id, ...(call.jsonrpc === '2.0' ? { jsonrpc: '2.0' } : {}), error: shape }));
  }
  return answers;
}

/** The per-connection count of queries and mutations running (see `LiveConnection.calls`). */
export function callsInFlight(max = WS_MAX_CALLS_IN_FLIGHT): {
  enter(): () => void;
  readonly running: number;
} {
  let running = 0;
  return {
    get running() {
      return running;
    },
    enter() {
      if (running >= max) {
        throw new AppError(
          'CALLS_IN_FLIGHT_LIMIT',
          `This connection already has ${max} calls running, the most one WebSocket may have. Wait for answers before sending more.`,
          { limit: max },
        );
      }
      running++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        running--;
      };
    },
  };
}
