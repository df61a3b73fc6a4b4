import { SESSION_TTL_SECONDS, signSessionToken } from '@qt/api/session';
import { NextResponse } from 'next/server';
import { getSession } from '@/auth/session';
import type { EngineTokenResponse } from '@/engine/engine-token';
import { serverEnv } from '@/env';

/**
 * Trades the next-auth session cookie for a short-lived engine token (HS256, shared SESSION_SECRET).
 * The browser sends it as `Authorization: Bearer` to the engine, which re-reads the membership on every
 * call, so a short TTL and a role change both take effect without this server tracking anything.
 */
export async function GET() {
  const session = await getSession();
  if (!session) {
    return NextResponse.json(
      { error: 'AUTH_REQUIRED', message: 'Sign in first.' },
      { status: 401, headers: { 'cache-control': 'no-store' } },
    );
  }
  const env = serverEnv();
  const now = Date.now();
  const token = await signSessionToken(
    { userId: session.user.id, tenantId: session.tenant.id },
    env.sessionSecret,
    now,
  );
  // The token's `exp` counts from the whole second it was issued in.
  const expiresAtMs = (Math.floor(now / 1000) + SESSION_TTL_SECONDS) * 1000;
  const body: EngineTokenResponse = {
    token,
    expiresAt: new Date(expiresAtMs).toISOString(),
    expiresIn: SESSION_TTL_SECONDS,
    engineUrl: env.engine.publicUrl,
    engineWsUrl: env.engine.publicWsUrl,
  };
  return NextResponse.json(body, { headers: { 'cache-control': 'no-store' } });
}
