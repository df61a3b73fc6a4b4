import { hash, verify } from '@node-rs/argon2';

// argon2id (the library's default algorithm) with OWASP's 2024 minimum: 19 MiB, 2 iterations, 1 lane.
const params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, params);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed sign-in, never a 500 that tells an attacker something.
    return false;
  }
}

/**
 * Verifying against this when the email is unknown makes "no such user" cost the same time as "wrong
 * password", so response time does not reveal which emails have accounts.
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword('quant-trader timing equaliser');
  return dummyHash;
}
