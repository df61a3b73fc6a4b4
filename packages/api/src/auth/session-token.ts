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
  /**
   * When the person signed in to the web app (ms since the epoch; the next-auth session's start), as
   * the `sat_ms` claim. A sign-out or password reset refuses every token of a web session that began
   * before it, however freshly the token was minted: a stolen session cookie cannot mint its way past
   * a revocation. Absent (scripts, tests): the token's issue time stands in.
   */
  sessionStartedAt?: number;
}

/** Verified claims, with when the token stops being valid and when it was issued (ms since the epoch). */
export interface VerifiedSession extends SessionClaims {
  expiresAt: number;
  /**
   * From the `iat_ms` claim (JWT's `iat` has whole seconds only, so a sign-out and a new sign-in in the
   * same second could not be told apart); tokens without it count from the start of their `iat` second,
   * which errs towards refusing them after a sign-out.
   */
  issuedAt: number;
  /** `sat_ms` when present and not after `issuedAt`, else `issuedAt`. Compared with sign-outs. */
  sessionStartedAt: number;
}

export interface VerifyOptions {
  /**
   * Accept a token past its `exp` (signature, issuer and audience are still checked). Only for
   * re-checking a live WebSocket that authenticated while the token was valid: expiry is enforced when a
   * call or subscription starts, revocation also while it runs.
   */
  ignoreExpiry?: boolean;
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
  const sat = claims.sessionStartedAt;
  return new SignJWT({ tid: claims.tenantId, iat_ms: nowMs, ...(sat !== undefined ? { sat_ms: sat } : {}) })
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
  opts: VerifyOptions = {},
): Promise<VerifiedSession> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      issuer: SESSION_ISSUER,
      audience: SESSION_AUDIENCE,
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
      // A year of tolerance: far longer than any connection lives, so only `exp` is effectively skipped.
      ...(opts.ignoreExpiry ? { clockTolerance: 365 * 86_400 } : {}),
    });
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.tid !== 'string' ||
      typeof payload.exp !== 'number'
    ) {
      throw new AppError('AUTH_REQUIRED', 'The session token is malformed. Sign in again.');
    }
    const iat = typeof payload.iat === 'number' ? payload.iat * 1000 : 0;
    // The precise time is believed only within its own `iat` second (both are signed; this keeps a
    // mistaken minter from claiming a later issue time than the one the JWT library checks).
    const precise =
      typeof payload.iat_ms === 'number' && payload.iat_ms >= iat && payload.iat_ms < iat + 1000
        ? payload.iat_ms
        : iat;
    // A session cannot have begun after its token was issued; a claim that says so is not believed.
    const started =
      typeof payload.sat_ms === 'number' && Number.isFinite(payload.sat_ms) && payload.sat_ms <= precise
        ? payload.sat_ms
        : precise;
    return {
      userId: payload.sub,
      tenantId: payload.tid,
      expiresAt: payload.exp * 1000,
      issuedAt: precise,
      sessionStartedAt: started,
    };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) {
      throw new AppError('AUTH_SESSION_EXPIRED', 'Your session expired. Sign in again.');
    }
    throw new AppError('AUTH_REQUIRED', 'The session token is not valid. Sign in again.');
  }
}
