import { describe, expect, it } from 'vitest';
import { type Principal, requireScope, scopesForRole } from '../src/auth/principal.ts';

const base: Omit<Principal, 'via' | 'role' | 'scopes'> = {
  tenant: {
    id: '0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
    name: 't',
    tier: 'FREE',
    createdAt: new Date(0).toISOString(),
  },
  userId: null,
  apiKeyId: null,
};

describe('scopes', () => {
  it('derives session scopes from the role', () => {
    expect(scopesForRole('VIEWER')).toEqual(['read']);
    expect(scopesForRole('TRADER')).toEqual(['read', 'trade']);
    expect(scopesForRole('ADMIN')).toContain('manage');
  });

  it('tells a key holder which scope is missing and a person which role is short', () => {
    const key: Principal = { ...base, via: 'apiKey', role: 'OWNER', scopes: ['read'] };
    expect(() => requireScope(key, 'manage')).toThrow(
      expect.objectContaining({ code: 'AUTH_FORBIDDEN_SCOPE' }),
    );
    const viewer: Principal = { ...base, via: 'session', role: 'VIEWER', scopes: ['read'] };
    expect(() => requireScope(viewer, 'trade')).toThrow(
      expect.objectContaining({ code: 'AUTH_FORBIDDEN_ROLE' }),
    );
    expect(() => requireScope(viewer, 'read')).not.toThrow();
  });
});
