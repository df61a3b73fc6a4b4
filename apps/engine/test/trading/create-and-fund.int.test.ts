import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { balanceOf } from './trading-fixtures.ts';

/** `paperAccounts.create` with `initialDeposit`: one call creates the account and funds it. */
describe('creating a funded paper account in one step', () => {
  let t: TestEngine;
  let client: ReturnType<TestEngine['client']>;

  beforeAll(async () => {
    t = await startTestEngine({});
    client = t.client((await t.signUp('carla')).token);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('deposits the initial amount in the quote currency, recorded in the ledger as a deposit', async () => {
    const account = await client.paperAccounts.create.mutate({
      name: 'funded',
      quoteCurrency: 'USDT',
      initialDeposit: '10000',
    });
    const balances = await client.paperAccounts.balances.query({ accountId: account.id });
    expect(balanceOf(balances, 'USDT')).toEqual({ free: '10000', locked: '0' });
    const ledger = await client.paperAccounts.ledger.query({ accountId: account.id });
    expect(ledger.items.map((e) => [e.type, e.asset, e.free])).toEqual([['deposit', 'USDT', '10000']]);
  });

  it('still creates an empty account without it', async () => {
    const account = await client.paperAccounts.create.mutate({ name: 'empty' });
    const balances = await client.paperAccounts.balances.query({ accountId: account.id });
    expect(balances.every((b) => Number(b.total) === 0)).toBe(true);
  });

  it('refuses a bad amount with a typed error and creates no account', async () => {
    const before = (await client.paperAccounts.list.query()).length;
    expect(
      await appCodeOf(client.paperAccounts.create.mutate({ name: 'negative', initialDeposit: '-5' })),
    ).toBe('VALIDATION_FAILED');
    // Well formed, but more than the ledger can store: refused before the account is created.
    expect(
      await appCodeOf(
        client.paperAccounts.create.mutate({ name: 'huge', initialDeposit: `1${'0'.repeat(25)}` }),
      ),
    ).toBe('VALUE_OUT_OF_RANGE');
    expect((await client.paperAccounts.list.query()).length).toBe(before);
  });
});
