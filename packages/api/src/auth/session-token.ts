import { AppError } from '@qt/shared';
import { errors, jwtVerify, SignJWT } from 'jose';

/**
 * The dashboard's way in. The web server (which owns the next-auth session cookie) mints a short-lived
 * HS256 token for the engine with a secret both share; the engine re-reads the membership on every call,
 * so a removed member or a changed role takes effect at once, not when the token expires.
 */
export const SESSION_ISSUER = 'quant-trader-web';
export const SESSION_AUDIENCE = 'quant-trader-engine';
export const SESSION_TTL_SECONDS = 15 * 60;

export interface SessionClaims {
  userId: string;
  tenantId: string;
}

/** Verified claims, with when the token stops being valid (ms since the epoch). */
export interface VerifiedSession extends SessionClaims {
  expiresAt: number;
}

function keyOf(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('SESSION_SECRET must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

export async function signSessionToken(
  claims: SessionClaims,
  secret: string,
  nowMs: number,
  ttlSeconds = SESSION_TTL_SECONDS,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ tid: claims.tenantId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.userId)
    .setIssuer(SESSION_ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(keyOf(secret));
}

export async function verifySessionToken(
  token: string,
  secret: string,
  nowMs: number,
): Promise<VerifiedSession> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      issuer: SESSION_ISSUER,
      audience: SESSION_AUDIENCE,
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
    });
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.tid !== 'string' ||
      typeof payload.exp !== 'number'
    ) {
      throw new AppError('AUTH_REQUIRED', 'The session token is malformed. Sign in again.');
    }
    return { userId: payload.sub, tenantId: payload.tid, expiresAt: payload.exp * 1000 };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) {
      throw new AppError('AUTH_SESSION_EXPIRED', 'Your session expired. Sign in again.');
    }
    throw new AppError('AUTH_REQUIRED', 'The session token is not valid. Sign in again.');
  }
}
