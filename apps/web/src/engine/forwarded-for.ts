import { isIP } from 'node:net';

/**
 * The X-Forwarded-For value to send the engine, or null for none. Only what server.mjs wrote: one
 * address, replacing the browser's header, announced by `QT_WEB_FORWARDED_FOR=rewritten` in this
 * process. Anything else (plain `next start`, where the header is the browser's own, or a list) is not
 * passed on: the engine then counts this server's address, a shared budget but not one a browser picks.
 */
export function forwardedForEngine(
  header: string | null,
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  if (env.QT_WEB_FORWARDED_FOR !== 'rewritten' || !header) return null;
  const address = header.trim();
  return isIP(address) === 0 ? null : address;
}
