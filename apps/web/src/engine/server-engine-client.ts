import 'server-only';
import type { AppRouter } from '@qt/api';
import { createTRPCClient, httpLink } from '@trpc/client';
import { headers } from 'next/headers';
import { serverEnv } from '@/env';
import { forwardedForEngine } from './forwarded-for';

/**
 * The web server's own engine client, for the calls made before a person has a session (sign-in,
 * sign-up). It passes on the client address the web server saw (server.mjs writes it into
 * X-Forwarded-For, replacing whatever the browser sent) so the engine's sign-in limits count the
 * person, not this server: the engine believes the header because this server is one of its trusted
 * proxies (TRUSTED_PROXIES).
 */
export async function serverEngineClient() {
  const forwardedFor = forwardedForEngine((await headers()).get('x-forwarded-for'), process.env);
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${serverEnv().engine.url}/trpc`,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      }),
    ],
  });
}
