import MarkdownIt from 'markdown-it';

/** Link targets a seller may use; everything else (javascript:, data:, vbscript:, file:, ...) stays text. */
const ALLOWED_LINK = /^(https?:|mailto:)/i;
/** Images: only over https (no data: URLs, no mixed content, no tracking over plain http). */
const ALLOWED_IMAGE = /^https:/i;

/**
 * The one renderer for listing descriptions. Raw HTML is off, so `<script>` or `onerror=` arrive as
 * escaped text; markdown-it escapes every attribute it writes; links are limited to http(s)/mailto
 * after markdown-it's own normalisation (entities and percent-encoding are decoded before the check,
 * so `jav&#x61;script:` does not slip through).
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

md.validateLink = (url: string): boolean => {
  const u = url.trim();
  // Relative and fragment links point into our own app: harmless, but a seller has no reason to
  // link there and `//evil.example` would be protocol-relative. Only absolute allowed schemes.
  return ALLOWED_LINK.test(u);
};

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  if (token) {
    token.attrSet('rel', 'nofollow noopener noreferrer ugc');
    token.attrSet('target', '_blank');
  }
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const src = token?.attrGet('src') ?? '';
  if (!token || !ALLOWED_IMAGE.test(src)) {
    // Dropped: keep the alt text so the description still reads.
    return md.utils.escapeHtml(token ? self.renderInlineAsText(token.children ?? [], options, env) : '');
  }
  // markdown-it's own image rule fills alt from the inline children; renderToken does not.
  token.attrSet('alt', self.renderInlineAsText(token.children ?? [], options, env));
  token.attrSet('loading', 'lazy');
  token.attrSet('referrerpolicy', 'no-referrer');
  return self.renderToken(tokens, idx, options);
};

/** A seller's Markdown as HTML that is safe to insert into the listing page. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}
