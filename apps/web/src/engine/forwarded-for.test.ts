import { describe, expect, it } from 'vitest';
import { forwardedForEngine } from './forwarded-for';

const rewritten = { QT_WEB_FORWARDED_FOR: 'rewritten' };

describe('the address the web server passes on to the engine', () => {
  it('passes on the one address server.mjs wrote', () => {
    expect(forwardedForEngine('198.51.100.7', rewritten)).toBe('198.51.100.7');
    expect(forwardedForEngine('2001:db8::1', rewritten)).toBe('2001:db8::1');
  });

  it("passes nothing on without server.mjs: the header is then the browser's own", () => {
    expect(forwardedForEngine('198.51.100.7', {})).toBeNull();
  });

  it('passes nothing on that is not a single address', () => {
    expect(forwardedForEngine('6.6.6.6, 198.51.100.7', rewritten)).toBeNull();
    expect(forwardedForEngine('not-an-address', rewritten)).toBeNull();
    expect(forwardedForEngine(null, rewritten)).toBeNull();
  });
});
