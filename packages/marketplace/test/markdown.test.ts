import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/markdown.ts';

describe('renderMarkdown', () => {
  it('renders ordinary Markdown', () => {
    const html = renderMarkdown('# Trend\n\n**Buys** breakouts.\n\n- one\n- two');
    expect(html).toContain('<h1>Trend</h1>');
    expect(html).toContain('<strong>Buys</strong>');
    expect(html).toContain('<li>one</li>');
  });

  it('escapes raw HTML: script tags and event handlers stay text', () => {
    const html = renderMarkdown(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<a href="javascript:alert(1)">x</a>',
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<a /i);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('refuses javascript:, vbscript:, data: and file: links, also entity- or case-obfuscated', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'jav&#x61;script:alert(1)',
      'javascript&colon;alert(1)',
      '&#106;avascript:alert(1)',
      'vbscript:msgbox(1)',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'file:///etc/passwd',
      '//evil.example/x',
    ]) {
      const html = renderMarkdown(`[click](${href})`);
      expect(html, href).not.toMatch(/<a /);
      expect(html, href).not.toMatch(/href=/);
    }
  });

  it('keeps http(s) and mailto links, with rel and target set', () => {
    const html = renderMarkdown(
      '[docs](https://example.com/a?b=1&c=2) [mail](mailto:me@example.com) http://example.org',
    );
    expect(html).toContain('href="https://example.com/a?b=1&amp;c=2"');
    expect(html).toContain('href="mailto:me@example.com"');
    expect(html).toContain('href="http://example.org"');
    expect(html.match(/rel="nofollow noopener noreferrer ugc"/g)).toHaveLength(3);
    expect(html.match(/target="_blank"/g)).toHaveLength(3);
  });

  it('keeps https images only; data: and http: images become their alt text', () => {
    expect(renderMarkdown('![chart](https://example.com/c.png)')).toMatch(
      /<img src="https:\/\/example.com\/c.png" alt="chart"/,
    );
    const data = renderMarkdown('![pix](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)');
    expect(data).not.toMatch(/<img/);
    const http = renderMarkdown('![plain](http://example.com/c.png)');
    expect(http).not.toMatch(/<img/);
    expect(http).toContain('plain');
  });

  it('escapes attribute breakouts in link titles and text', () => {
    const html = renderMarkdown('[x](https://example.com "a\\" onmouseover=\\"alert(1)") and `<b>`');
    expect(html).not.toMatch(/"\s*onmouseover=/);
    expect(html).toContain('&quot;');
    expect(html).toContain('<code>&lt;b&gt;</code>');
  });

  it('leaves HTML entities as entities (never decoded into markup)', () => {
    const html = renderMarkdown('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/);
    expect(html).toContain('&lt;script&gt;');
  });
});
