import { describe, expect, it } from 'vitest';
import { apiKeyMatches, generateApiKey, hashApiKey, parseApiKey } from '../src/auth/api-key-token.ts';

describe('api key tokens', () => {
  it('generates keys of the documented shape whose hash matches', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^qt_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    expect(parseApiKey(key)).toEqual({ prefix });
    expect(apiKeyMatches(key, hash)).toBe(true);
  });

  it('never generates the same key twice in many draws', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey().key));
    expect(keys.size).toBe(2000);
  });

  it('refuses a key with one character changed', () => {
    const { key, hash } = generateApiKey();
    const last = key.at(-1) === 'a' ? 'b' : 'a';
    expect(apiKeyMatches(key.slice(0, -1) + last, hash)).toBe(false);
  });

  it('refuses when there is no stored hash, and malformed keys do not parse', () => {
    expect(apiKeyMatches('qt_x_y', null)).toBe(false);
    expect(parseApiKey('qt_short_key')).toBeNull();
    expect(parseApiKey(`Bearer qt_${'a'.repeat(12)}_${'b'.repeat(32)}`)).toBeNull();
  });

  it('hashes with SHA-256 (32 bytes)', () => {
    expect(hashApiKey('anything')).toHaveLength(32);
  });
});
