import { describe, expect, it } from 'vitest';
import { safeCallbackUrl } from './safe-callback-url';

describe('safeCallbackUrl', () => {
  it('keeps a path on this site', () => {
    expect(safeCallbackUrl('/settings?tab=keys')).toBe('/settings?tab=keys');
  });

  it.each(['https://evil.example/', '//evil.example/', '/\\evil.example', 'settings', ''])(
    'refuses %j, which could leave the site, and goes home instead',
    (value) => {
      expect(safeCallbackUrl(value)).toBe('/');
    },
  );

  it('takes the first of repeated parameters and defaults to home when absent', () => {
    expect(safeCallbackUrl(['/settings', 'https://evil.example/'])).toBe('/settings');
    expect(safeCallbackUrl(undefined)).toBe('/');
  });
});
