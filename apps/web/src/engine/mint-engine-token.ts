import { SESSION_TTL_SECONDS, signSessionToken } from '@qt/api/session';

/** What an engine token is minted from: the next-auth session's person, tenant and start. */
export interface EngineTokenSubject {
  userId: string;
  tenantId: string;
  /** When the person signed in (ms): the engine compares it with their last sign-out or reset. */
  signedInAt: number;
}

/**
 * A short-lived engine token for a web session. It carries when the session began (`sat_ms`), not only
 * when the token was minted: after a sign-out or password reset the engine refuses every token of a
 * session that began before it, so a stolen session cookie stops working even though this server
 * would keep minting fresh tokens for it.
 */
export async function mintEngineToken(
  subject: EngineTokenSubject,
  secret: string,
  nowMs: number,
): Promise<{ token: string; expiresAtMs: number; expiresIn: number }> {
  const token = await signSessionToken(
    { userId: subject.userId, tenantId: subject.tenantId, sessionStartedAt: subject.signedInAt },
    secret,
    nowMs,
  );
  // The token's `exp` counts from the whole second it was issued in.
  return {
    token,
    expiresAtMs: (Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS) * 1000,
    expiresIn: SESSION_TTL_SECONDS,
  };
}
