import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAppError } from '@qt/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';
import { fetchInstruments } from '../../src/venues/fetch-instruments.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/bybit`;
}

const body = {
  retCode: 0,
  result: {
    list: [
      {
        symbol: 'BTCUSDT',
        baseCoin: 'BTC',
        quoteCoin: 'USDT',
        status: 'Trading',
        lotSizeFilter: { basePrecision: '0.000001', minOrderAmt: '5' },
        priceFilter: { tickSize: '0.01' },
      },
    ],
  },
};

describe('fetchInstruments', () => {
  it('tries the next REST base when one fails, and teaches the adapter the symbols', async () => {
    const paths: string[] = [];
    const down = await serve((_req, res) => res.writeHead(503).end());
    const up = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    const adapter = createBybitAdapter();
    const instruments = await fetchInstruments(adapter, { restEndpoints: [down, up], timeoutMs: 1000 });
    expect(paths).toEqual(['/bybit/v5/market/instruments-info?category=spot']);
    expect(instruments.map((i) => [i.symbol, i.tickSize, i.lotSize, i.minNotional])).toEqual([
      ['BTC-USDT', '0.01', '0.000001', '5'],
    ]);
  });

  it('gives up with SERVICE_UNAVAILABLE after a timeout on every base', async () => {
    const hang = await serve(() => {});
    const err = await fetchInstruments(createBybitAdapter(), { restEndpoints: [hang], timeoutMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(isAppError(err) && err.code).toBe('SERVICE_UNAVAILABLE');
  });
});
