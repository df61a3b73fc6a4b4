import { parseArgs } from 'node:util';
import { startExchangeSim } from './exchange-sim.ts';
import type { ExchangeSimOptions } from './types.ts';

/**
 * `npm run sim -w @qt/exchange-sim -- --port 9100 --rate 50 --symbols BTC-USDT,ETH-USDT --seed 7`
 * Flags win over the environment (SIM_HOST, SIM_PORT, SIM_ENDPOINTS, SIM_RATE, SIM_SYMBOLS, SIM_SEED).
 * Prints the endpoints and the engine's environment lines that point its feeds here.
 */
const usage = `exchange simulator (Binance, OKX, Bybit public market data)
  --host <h>        SIM_HOST       default 127.0.0.1
  --port <n>        SIM_PORT       default 9100 (0 = any free port)
  --endpoints <n>   SIM_ENDPOINTS  default 1 (endpoint i listens on port + i)
  --rate <n>        SIM_RATE       trades/s per venue per symbol, default 5
  --symbols <a,b>   SIM_SYMBOLS    canonical symbols, default 12 USDT pairs
  --seed <n>        SIM_SEED       default 1`;

function number(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

function parseConfig(argv: string[], env: NodeJS.ProcessEnv): ExchangeSimOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      endpoints: { type: 'string' },
      rate: { type: 'string' },
      symbols: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const symbols = (values.symbols ?? env.SIM_SYMBOLS)
    ?.split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return {
    host: values.host ?? env.SIM_HOST ?? '127.0.0.1',
    port: number('port', values.port ?? env.SIM_PORT, 9100),
    endpoints: number('endpoints', values.endpoints ?? env.SIM_ENDPOINTS, 1),
    tradesPerSecond: number('rate', values.rate ?? env.SIM_RATE, 5),
    seed: number('seed', values.seed ?? env.SIM_SEED, 1),
    ...(symbols && symbols.length > 0 ? { symbols } : {}),
  };
}

const config = parseConfig(process.argv.slice(2), process.env);
if (config === null) {
  console.log(usage);
} else {
  const sim = await startExchangeSim(config);
  const list = (f: (u: (typeof sim.urls)[number]) => string) => sim.urls.map(f).join(',');
  const first = sim.urls[0];
  console.log(
    `exchange simulator: ${sim.instruments('binance').length} symbols, ${config.tradesPerSecond} trades/s per venue per symbol, seed ${config.seed}`,
  );
  for (const [i, u] of sim.urls.entries()) {
    console.log(`endpoint ${i}:`);
    console.log(
      `  binance  ${u.binance.ws}/ws/<stream> | ${u.binance.ws}/stream?streams=a/b   REST ${u.binance.rest}/api/v3/exchangeInfo`,
    );
    console.log(
      `  okx      ${u.okx.ws}/ws/v5/public | ${u.okx.ws}/ws/v5/business   REST ${u.okx.rest}/api/v5/public/instruments?instType=SPOT`,
    );
    console.log(
      `  bybit    ${u.bybit.ws}/v5/public/spot   REST ${u.bybit.rest}/v5/market/instruments-info?category=spot`,
    );
  }
  console.log('\n# engine environment (MARKET_SOURCE=live with these overrides reads from this simulator):');
  console.log('MARKET_SOURCE=live');
  console.log(`BINANCE_WS_URLS=${list((u) => u.binance.ws)}`);
  console.log(`OKX_WS_URLS=${list((u) => u.okx.ws)}`);
  console.log(`BYBIT_WS_URLS=${list((u) => u.bybit.ws)}`);
  console.log(`BINANCE_REST_URL=${first?.binance.rest}`);
  // With BINANCE_REST_URL set the engine leaves Binance's archive off unless told where it is: this
  // simulator serves its own copy (the same candles as its klines REST) under its Binance base.
  console.log(`BINANCE_ARCHIVE_URL=${first?.binance.rest}`);
  console.log(`OKX_REST_URL=${first?.okx.rest}`);
  console.log(`BYBIT_REST_URL=${first?.bybit.rest}`);
  const shutdown = () => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
