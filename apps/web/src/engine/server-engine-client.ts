import 'server-only';
import type { AppRouter } from '@qt/api';
import { createTRPCClient, httpLink } from '@trpc/client';
import { headers } from 'next/headers';
import { serverEnv } from '@/env';

/**
 * The web server's own engine client, for the calls made before a person has a session (sign-in,
 * sign-up). It forwards the browser's X-Forwarded-For so the engine's failed-attempt limiter counts the
 * person, not this server: the engine believes the header because this server is one of its trusted
 * proxies, and takes the right-most address it does not trust.
 */
export async function serverEngineClient() {
  const forwardedFor = (await headers()).get('x-forwarded-for');
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${serverEnv().engine.url}/trpc`,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      }),
    ],
  });
}
