/**
 * Calling the Quant-Trader API from your own script with an API key.
 *
 *   QT_API_KEY=qt_... npx tsx examples/api-key-client.ts
 *
 * QT_API_URL defaults to http://127.0.0.1:4000/trpc. Create a key in the dashboard under Settings ->
 * API keys. Every error carries a stable code in `error.data.appCode` (e.g. AUTH_API_KEY_REVOKED).
 */
import type { AppRouter } from '@qt/api';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';

const url = process.env.QT_API_URL ?? 'http://127.0.0.1:4000/trpc';
const apiKey = process.env.QT_API_KEY;
if (!apiKey) {
  console.error('Set QT_API_KEY to a key from Settings -> API keys.');
  process.exit(2);
}

const client = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url, headers: { authorization: `Bearer ${apiKey}` } })],
});

try {
  const [version, me] = await Promise.all([client.system.version.query(), client.accounts.me.query()]);
  console.log(
    JSON.stringify({
      engine: version.version,
      tenant: me.tenant.name,
      tier: me.tenant.tier,
      scopes: me.scopes,
    }),
  );
} catch (err) {
  if (err instanceof TRPCClientError) {
    const appCode = (err.data as { appCode?: string } | undefined)?.appCode ?? 'UNKNOWN';
    console.error(`refused: ${appCode}: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
