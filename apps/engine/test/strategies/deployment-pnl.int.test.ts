import { createPrisma, type Db, Prisma } from '@qt/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import { expectAppError } from '../support/expect-app-error.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * A deployment's own PnL through the API, on rows as the engine writes them: only fills of orders whose
 * client id carries the deployment's tag count (every run of it), not manual orders on the same account
 * nor another deployment's.
 */
describe('strategies.deploymentPnl', () => {
  let t: TestEngine;
  let token: string;
  let other: string;
  let tenantId: string;
  let accountId: string;
  let strategyId: string;
  let versionId: string;
  let db: Db;
  const client = (tk = token) => t.client(tk);

  beforeAll(async () => {
    t = await startTestEngine({});
    db = createPrisma(t.engine.databaseUrl);
    const me = await t.signUp('pnl');
    token = me.token;
    tenantId = me.tenant.id;
    other = (await t.signUp('pnl-other')).token;
    accountId = (await client().paperAccounts.create.mutate({ name: 'pnl' })).id;
    const s = await client().strategies.upload.mutate({
      name: 'PnL probe',
      wasmBase64: Buffer.from(await wat(strategyWat({}))).toString('base64'),
    });
    strategyId = s.id;
    versionId = s.versions[0]?.id as string;
  }, 60_000);
  afterAll(async () => {
    await db?.$disconnect();
    await t?.stop();
  });

  const prisma = () => db;

  async function deployment(): Promise<string> {
    const row = await prisma().strategyDeployment.create({
      data: {
        tenantId,
        strategyId,
        versionId,
        accountId,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1m',
        params: {},
        state: 'stopped',
      },
    });
    return row.id;
  }

  let seq = 0;
  /**
   * An order with its fills and their ledger postings, as the engine books them (quote and fee in USDT;
   * fill ids `<order>:<n>`; postings in commit order, which is what the PnL follows).
   */
  async function filledIn(
    clientOrderId: string | null,
    side: 'buy' | 'sell',
    parts: { qty: string; quote: string; fee: string }[],
    time = new Date(Date.UTC(2026, 11, 1) + ++seq * 1_000),
  ) {
    const total = parts.reduce((a, p) => a.add(p.qty), new Prisma.Decimal(0));
    const order = await prisma().order.create({
      data: {
        tenantId,
        accountId,
        clientOrderId,
        venue: 'binance',
        symbol: 'BTC-USDT',
        side,
        type: 'market',
        timeInForce: 'IOC',
        quantity: total,
        status: 'filled',
        filledQuantity: total,
        lockedAsset: side === 'buy' ? 'USDT' : 'BTC',
      },
    });
    let n = 0;
    for (const p of parts) {
      const fillId = `${order.id}:${++n}`;
      await prisma().fill.create({
        data: {
          id: fillId,
          orderId: order.id,
          accountId,
          tenantId,
          venue: 'binance',
          symbol: 'BTC-USDT',
          side,
          price: new Prisma.Decimal(p.quote).div(p.qty),
          quantity: new Prisma.Decimal(p.qty),
          quote: new Prisma.Decimal(p.quote),
          fee: new Prisma.Decimal(p.fee),
          feeAsset: 'USDT',
          liquidity: 'taker',
          time,
        },
      });
      await prisma().ledgerPosting.create({
        data: { id: `fill:${fillId}`, tenantId, accountId, type: 'fill', orderId: order.id, fillId },
      });
    }
  }
  const filled = (
    clientOrderId: string | null,
    side: 'buy' | 'sell',
    qty: string,
    quote: string,
    fee: string,
  ) => filledIn(clientOrderId, side, [{ qty, quote, fee }]);

  it('counts only the orders the deployment placed, over all its runs', async () => {
    const dep = await deployment();
    const otherDep = await deployment();
    const tag = (id: string, run: string, handle: number) => `st.${id.replaceAll('-', '')}.${run}.${handle}`;
    await filled(tag(dep, 'r1', 1), 'buy', '0.2', '20000', '20');
    await filled(null, 'buy', '5', '500000', '500'); // manual, same account
    await filled(tag(otherDep, 'r1', 1), 'sell', '0.1', '9000', '9'); // another deployment
    await filled(tag(dep, 'r2', 1), 'sell', '0.1', '10500', '10.5'); // the next run of the same deployment

    const pnl = await client().strategies.deploymentPnl.query({ deploymentId: dep });
    // Half of a 20000 basis sold for 10500: +500 gross, fees 30.5.
    expect(pnl).toMatchObject({
      deploymentId: dep,
      realizedPnl: '469.5',
      fees: '30.5',
      fills: 2,
      truncated: false,
    });
    expect(pnl.positions).toHaveLength(1);
    expect(pnl.positions[0]).toMatchObject({
      symbol: 'BTC-USDT',
      quantity: '0.1',
      averageEntryPrice: '100000',
    });
    // No live market on this engine: no mark, so no unrealized figure rather than a wrong one.
    expect(pnl.unrealizedPnl).toBeNull();
    expect(pnl.curve.map((c) => c.pnl)).toEqual(['-20', '469.5']);

    const theirs = await client().strategies.deploymentPnl.query({ deploymentId: otherDep });
    expect(theirs).toMatchObject({ fills: 1, realizedPnl: '-9' });
    expect(theirs.positions[0]?.quantity).toBe('-0.1');
  });

  it('follows commit order: ten fills of one order at the same millisecond (ids :1 .. :10)', async () => {
    const dep = await deployment();
    const tag = (h: number) => `st.${dep.replaceAll('-', '')}.r1.${h}`;
    await filledIn(tag(1), 'buy', [{ qty: '1', quote: '100', fee: '0' }]);
    // Sold 2 across ten levels from 110 down to 101: the first five close the long (+8), the rest open a short.
    await filledIn(
      tag(2),
      'sell',
      Array.from({ length: 10 }, (_, i) => ({
        qty: '0.2',
        quote: new Prisma.Decimal(110 - i).mul('0.2').toFixed(),
        fee: '0',
      })),
    );
    const pnl = await client().strategies.deploymentPnl.query({ deploymentId: dep.toUpperCase() });
    expect(pnl.deploymentId).toBe(dep);
    expect(pnl.realizedPnl).toBe('8');
    expect(pnl.positions[0]?.quantity).toBe('-1');
    // Asked again: only what was committed since is read (the fold is kept), with the same answer.
    expect(await client().strategies.deploymentPnl.query({ deploymentId: dep })).toEqual(pnl);
    await filled(tag(3), 'buy', '1', '100', '0');
    const after = await client().strategies.deploymentPnl.query({ deploymentId: dep });
    expect(after.fills).toBe(12);
  });

  it("a manual order cannot take a strategy tag (it would count in that deployment's PnL)", async () => {
    const dep = await deployment();
    await expectAppError(
      client().orders.place.mutate({
        accountId,
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.001',
        price: '1000',
        clientOrderId: `st.${dep.replaceAll('-', '')}.fake.1`,
      }),
      'VALIDATION_FAILED',
    );
  });

  it("another tenant's deployment is NOT_FOUND", async () => {
    const dep = await deployment();
    await expectAppError(client(other).strategies.deploymentPnl.query({ deploymentId: dep }), 'NOT_FOUND');
  });
});
