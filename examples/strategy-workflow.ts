/**
 * A strategy from your editor to paper trading, from a script: compile an AssemblyScript file against
 * the SDK, upload it, backtest it on the engine's stored candles (with live progress), then deploy it to
 * a paper account.
 *
 *   QT_API_KEY=qt_... npx tsx examples/strategy-workflow.ts [strategy.ts] [--deploy]
 *
 * Without a file it uses the SDK's moving-average crossover example. The key needs the `trade` scope.
 * ENGINE_URL (the engine, as for the dashboard) defaults to http://127.0.0.1:4000; QT_SYMBOL to binance:BTC-USDT; QT_INTERVAL to 1m;
 * QT_HOURS (how much history to backtest) to 24; QT_PARAMS (JSON) to the example's defaults.
 */
import { readFileSync } from 'node:fs';
import type { AppRouter } from '@qt/api';
import { compileStrategy, examples, examplesDir } from '@qt/strategy-sdk';
import { createTRPCClient, createWSClient, httpLink, splitLink, TRPCClientError, wsLink } from '@trpc/client';
import { WebSocket } from 'ws';

if (process.env.QT_API_URL !== undefined) {
  console.error(
    'QT_API_URL is no longer read: set ENGINE_URL to the engine, e.g. ENGINE_URL=http://127.0.0.1:4000',
  );
  process.exit(2);
}
const url = `${(process.env.ENGINE_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '')}/trpc`;
const apiKey = process.env.QT_API_KEY;
if (!apiKey) {
  console.error('Set QT_API_KEY to a key with the "trade" scope (Settings -> API keys).');
  process.exit(2);
}
const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? `${examplesDir}/sma-crossover.ts`;
const [venue = 'binance', symbol = 'BTC-USDT'] = (process.env.QT_SYMBOL ?? 'binance:BTC-USDT').split(':');
const interval = (process.env.QT_INTERVAL ?? '1m') as '1m';
const hours = Number(process.env.QT_HOURS ?? 24);
// QT_PARAMS='{"fast":5,"slow":20}'; for one of the SDK's examples its documented defaults otherwise.
const example = examples.find((e) => file.endsWith(`/examples/${e.name}.ts`));
const params: Record<string, number> = process.env.QT_PARAMS
  ? JSON.parse(process.env.QT_PARAMS)
  : Object.fromEntries((example?.params ?? []).map((p) => [p.name, p.default]));

const ws = createWSClient({
  url: url.replace(/^http/, 'ws'),
  connectionParams: { token: apiKey },
  // Node 20 has no global WebSocket.
  WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
});
const client = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: wsLink({ client: ws }),
      false: httpLink({ url, headers: { authorization: `Bearer ${apiKey}` } }),
    }),
  ],
});

try {
  console.log(`compiling ${file}`);
  const wasm = await compileStrategy(readFileSync(file, 'utf8'));
  const strategy = await client.strategies.upload.mutate({
    name: file.split('/').at(-1)?.replace(/\.ts$/, '') ?? 'strategy',
    wasmBase64: Buffer.from(wasm).toString('base64'),
  });
  const version = strategy.versions[0];
  console.log(`uploaded ${strategy.name} v${version?.version} (${version?.sizeBytes} bytes)`);

  const to = Date.now();
  const backtest = await client.backtests.run.mutate({
    strategyId: strategy.id,
    instruments: [{ venue, symbol }],
    interval,
    from: to - hours * 3_600_000,
    to,
    params,
  });
  await new Promise<void>((resolve, reject) => {
    const sub = client.backtests.onProgress.subscribe(
      { backtestId: backtest.id },
      {
        onData(p) {
          process.stdout.write(`\rbacktest ${p.status} ${(p.progress * 100).toFixed(0)}%   `);
          if (p.status !== 'queued' && p.status !== 'running') {
            sub.unsubscribe();
            resolve();
          }
        },
        onError: reject,
      },
    );
  });
  const result = await client.backtests.get.query({ backtestId: backtest.id });
  console.log(`\n${JSON.stringify(result.backtest.metrics ?? { reason: result.backtest.reason }, null, 2)}`);

  if (args.includes('--deploy')) {
    const accounts = await client.paperAccounts.list.query();
    const account = accounts[0] ?? (await client.paperAccounts.create.mutate({ name: 'strategies' }));
    const deployment = await client.strategies.deploy.mutate({
      strategyId: strategy.id,
      accountId: account.id,
      instruments: [{ venue, symbol }],
      interval,
      params,
    });
    console.log(`deployed to paper account "${account.name}": ${deployment.state} (${deployment.id})`);
  }
} catch (err) {
  if (err instanceof TRPCClientError) {
    const appCode = (err.data as { appCode?: string } | undefined)?.appCode ?? 'UNKNOWN';
    console.error(`refused: ${appCode}: ${err.message}`);
    process.exitCode = 1;
  } else throw err;
} finally {
  ws.close();
}
