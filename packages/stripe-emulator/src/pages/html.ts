const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every value put into a page goes through this: names, emails and URLs come from API callers. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => entities[c] as string);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1a1f36; }
  .banner { background: #fff4e5; border: 1px solid #f5a623; padding: .5rem .75rem; border-radius: 6px; font-size: .85rem; }
  label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
  input, select { width: 100%; padding: .6rem; font-size: 1rem; box-sizing: border-box; }
  button { margin-top: 1.25rem; width: 100%; padding: .75rem; font-size: 1rem; background: #635bff; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  button.secondary { background: #fff; color: #635bff; border: 1px solid #635bff; }
  .error { color: #df1b41; margin-top: 1rem; }
  .amount { font-size: 2rem; font-weight: 700; }
</style>
</head>
<body>
<p class="banner">Stripe emulator: test mode. Card 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 declines.</p>
${body}
</body>
</html>`;
}
