import { NextResponse } from 'next/server';
import { getSession } from '@/auth/session';
import type { EngineTokenResponse } from '@/engine/engine-token';
import { mintEngineToken } from '@/engine/mint-engine-token';
import { serverEnv } from '@/env';

/**
 * Trades the next-auth session cookie for a short-lived engine token (HS256, shared SESSION_SECRET).
 * The browser sends it as `Authorization: Bearer` to the engine, which re-reads the membership on every
 * call, so a short TTL and a role change both take effect without this server tracking anything. The
 * token says when the web session began, so a sign-out or password reset ends the session for good
 * (the engine answers AUTH_SESSION_REVOKED, and the browser then signs out).
 */
export async function GET() {
  const session = await getSession();
  if (!session?.signedInAt) {
    return NextResponse.json(
      { error: 'AUTH_REQUIRED', message: 'Sign in first.' },
      { status: 401, headers: { 'cache-control': 'no-store' } },
    );
  }
  const env = serverEnv();
  const minted = await mintEngineToken(
    { userId: session.user.id, tenantId: session.tenant.id, signedInAt: session.signedInAt },
    env.sessionSecret,
    Date.now(),
  );
  const body: EngineTokenResponse = {
    token: minted.token,
    expiresAt: new Date(minted.expiresAtMs).toISOString(),
    expiresIn: minted.expiresIn,
    engineUrl: env.engine.publicUrl,
    engineWsUrl: env.engine.publicWsUrl,
  };
  return NextResponse.json(body, { headers: { 'cache-control': 'no-store' } });
}
