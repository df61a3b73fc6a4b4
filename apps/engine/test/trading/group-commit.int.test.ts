import { randomUUID } from 'node:crypto';
import { createPgPool } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { AMOUNT_SCALE, parseScaled } from '@qt/shared';
import { depositPosting, withdrawalPosting } from '@qt/trading';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/trading/group-commit.ts';
import { ledgerConserves, T0 } from './trading-fixtures.ts';

const units = (s: string) => parseScaled(s, AMOUNT_SCALE);

/**
 * Group commit on real PostgreSQL: changes of different accounts that wait together go in one statement;
 * when that statement fails, only the offending change fails and the others are stored.
 */
describe('group commit of journal changes', () => {
  let db: TestDatabase;
  let pool: ReturnType<typeof createPgPool>;
  let tenantId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    tenantId = (await db.prisma.tenant.create({ data: { name: 'gc' } })).id;
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  async function accounts(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await db.prisma.paperAccount.create({ data: { tenantId, name: randomUUID() } })).id);
    return ids;
  }

  const deposit = (accountId: string, amount: string) =>
    depositPosting({ id: randomUUID(), accountId, asset: 'USDT', amount: units(amount), time: T0 });

  it('stores every change of a batch, balances equal to the entries', async () => {
    const gc = new GroupCommit(pool, { maxInFlight: 1 });
    const ids = await accounts(5);
    // The first change occupies the only flight; the next four wait and go together.
    await Promise.all(ids.map((id, i) => gc.write({ tenantId, posting: deposit(id, `${i + 1}`) })));
    expect(gc.stats).toEqual({ statements: 2, changes: 5 });
    const rows = await db.prisma.balance.findMany({ where: { accountId: { in: ids } } });
    expect(rows.map((r) => [ids.indexOf(r.accountId), r.free.toFixed()]).sort()).toEqual([
      [0, '1'],
      [1, '2'],
      [2, '3'],
      [3, '4'],
      [4, '5'],
    ]);
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('fails only the change the database refuses, and stores the rest of its batch', async () => {
    const gc = new GroupCommit(pool, { maxInFlight: 1 });
    const ids = await accounts(4);
    const [a, b, c, d] = ids as [string, string, string, string];
    await gc.write({ tenantId, posting: deposit(b, '10') });
    const overdraw = withdrawalPosting({
      id: randomUUID(),
      accountId: b,
      asset: 'USDT',
      amount: units('11'),
      time: T0,
    });
    const outcomes = await Promise.allSettled([
      gc.write({ tenantId, posting: deposit(a, '1') }),
      gc.write({ tenantId, posting: deposit(c, '3') }),
      // Below the service's own check: the balances CHECK (free >= 0) is the last guard.
      gc.write({ tenantId, posting: overdraw }),
      gc.write({ tenantId, posting: deposit(d, '4') }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // 1 alone, the batch of 4 (refused whole), then each of the 4 again on its own.
    expect(gc.stats).toEqual({ statements: 6, changes: 4 });
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/balances_non_negative/);
    const rows = await db.prisma.balance.findMany({ where: { accountId: { in: ids } } });
    expect(Object.fromEntries(rows.map((r) => [ids.indexOf(r.accountId), r.free.toFixed()]))).toEqual({
      0: '1',
      1: '10',
      2: '3',
      3: '4',
    });
    expect(await db.prisma.ledgerPosting.count({ where: { id: overdraw.id } })).toBe(0);
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });
});
