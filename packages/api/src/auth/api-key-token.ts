import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `qt_<prefix>_<secret>`: `prefix` is 12 base62 characters (stored, shown in lists,
 * used to find the row), `secret` 32 base62 characters (~190 bits). Only SHA-256 of the whole key is
 * stored: with this much entropy a slow hash adds nothing, and lookups stay O(1) (GitHub and Stripe do
 * the same).
 */
const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX_LEN = 12;
const SECRET_LEN = 32;
const keyPattern = new RegExp(`^qt_([0-9A-Za-z]{${PREFIX_LEN}})_([0-9A-Za-z]{${SECRET_LEN}})$`);

function randomBase62(length: number): string {
  // Rejection sampling keeps every character uniform (256 is not a multiple of 62).
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += alphabet[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface NewApiKey {
  key: string;
  prefix: string;
  hash: Uint8Array<ArrayBuffer>;
}

export function generateApiKey(): NewApiKey {
  const prefix = randomBase62(PREFIX_LEN);
  const key = `qt_${prefix}_${randomBase62(SECRET_LEN)}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(key).digest());
}

/** The prefix of a well-formed key, or null: malformed keys never reach the database. */
export function parseApiKey(key: string): { prefix: string } | null {
  const m = keyPattern.exec(key);
  return m?.[1] ? { prefix: m[1] } : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('qt_');
}

const zeroHash = Buffer.alloc(32);

/** Constant-time; compares against zeros when there is no stored hash so both paths cost the same. */
export function apiKeyMatches(key: string, storedHash: Uint8Array | null): boolean {
  const expected = storedHash && storedHash.length === 32 ? storedHash : zeroHash;
  const same = timingSafeEqual(hashApiKey(key), expected);
  return same && storedHash !== null;
}
