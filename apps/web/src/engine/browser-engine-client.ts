import type { AppRouter } from '@qt/api';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  type OperationLink,
  retryLink,
  splitLink,
  type TRPCClient,
  type TRPCLink,
  wsLink,
} from '@trpc/client';
import { engineErrorCode } from './engine-error';
import type { EngineTokenSource } from './engine-token';

export interface BrowserEngineClientOptions {
  /** The engine's public base URL (`http://host:port`); calls go to `${engineUrl}/trpc`. */
  engineUrl: string;
  /** The engine's WebSocket endpoint (`ws://host:port/trpc`). */
  engineWsUrl: string;
  tokens: EngineTokenSource;
  /**
   * The engine says this web session was ended (a sign-out elsewhere, a password reset): no token the
   * web server mints for it will work again, so the browser must sign out (clear the session cookie)
   * and go to the sign-in page. Called once per client.
   */
  onSessionRevoked: () => void;
}

/**
 * The engine refused the token itself (expired, or signed with a secret since rotated): get a new one and
 * retry once. Safe for mutations too: the engine authenticates before it does anything.
 * AUTH_SESSION_REVOKED is not among them: a fresh token of the same session is refused too.
 */
const STALE_TOKEN_CODES = new Set(['AUTH_SESSION_EXPIRED', 'AUTH_REQUIRED']);

/**
 * The dashboard's client: queries and mutations over batched HTTP, subscriptions over one WebSocket.
 * Both carry the engine token: HTTP as `Authorization: Bearer`, WebSocket in `connectionParams.token`
 * (browsers cannot set headers on a WebSocket).
 */
export function createBrowserEngineClient(opts: BrowserEngineClientOptions): TRPCClient<AppRouter> {
  const { tokens } = opts;
  let revoked = false;
  return createTRPCClient<AppRouter>({
    links: [
      retryLink({
        retry({ error, attempts }) {
          const code = engineErrorCode(error);
          if (code === 'AUTH_SESSION_REVOKED') {
            tokens.invalidate();
            if (!revoked) {
              revoked = true;
              opts.onSessionRevoked();
            }
            return false;
          }
          if (attempts > 1 || !code || !STALE_TOKEN_CODES.has(code)) return false;
          tokens.invalidate();
          return true;
        },
      }),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: lazyLink(() =>
          wsLink({
            client: createWSClient({
              url: opts.engineWsUrl,
              // Open the socket only while a subscription runs, with a token fetched at (re)connect.
              lazy: { enabled: true, closeMs: 0 },
              connectionParams: async () => ({ token: await tokens.get() }),
            }),
          }),
        ),
        false: httpBatchLink({
          url: `${opts.engineUrl}/trpc`,
          // The engine refuses batches of more than 10 calls (BATCH_TOO_LARGE).
          maxItems: 10,
          headers: async () => ({ authorization: `Bearer ${await tokens.get()}` }),
        }),
      }),
    ],
  });
}

/**
 * Builds a link on its first operation. The WebSocket client is created only when a page first
 * subscribes, so pages without live data never touch it (and server rendering never needs a WebSocket).
 */
function lazyLink(create: () => TRPCLink<AppRouter>): TRPCLink<AppRouter> {
  return (runtime) => {
    let link: OperationLink<AppRouter> | undefined;
    return (op) => {
      link ??= create()(runtime);
      return link(op);
    };
  };
}
