import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../src/index.ts';
import { startWithSdk } from './harness.ts';

/**
 * `stateFile`: a restarted emulator knows what the previous one held (customers, subscriptions on their
 * test clocks, the card behind them), so its platform's database and Stripe's state still agree.
 */
describe('emulator state file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const file = () => {
    const dir = mkdtempSync(join(tmpdir(), 'stripe-emulator-state-'));
    dirs.push(dir);
    return join(dir, 'state', 'stripe-emulator.json');
  };

  it('keeps customers, subscriptions and their cards across a restart', async () => {
    const stateFile = file();
    const first = await startWithSdk({ stateFile });
    expect(first.emulator.restored).toBe(false);
    const clock = await first.stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000 });
    const customer = await first.stripe.customers.create({
      email: 'kept@example.test',
      test_clock: clock.id,
    });
    const price = await first.stripe.prices.create({
      product_data: { name: 'Pro' },
      currency: 'usd',
      unit_amount: 2_900,
      recurring: { interval: 'month' },
      lookup_key: 'pro_monthly_state',
    });
    const session = await first.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'http://localhost/ok',
      cancel_url: 'http://localhost/cancel',
    });
    const pay = await fetch(`${first.emulator.url}/c/pay/${session.id}`, {
      method: 'POST',
      body: new URLSearchParams({ cardNumber: '4242 4242 4242 4242' }),
      redirect: 'manual',
    });
    expect(pay.status).toBe(303);
    const [sub] = (await first.stripe.subscriptions.list({ customer: customer.id })).data;
    const platform = await first.stripe.accounts.retrieveCurrent();
    expect(platform.id).toBe(first.emulator.platformAccountId);
    await first.emulator.stop();

    const second = await startWithSdk({ stateFile });
    try {
      expect(second.emulator.restored).toBe(true);
      // The same Stripe account after the restart (reconciliation compares it with the first run's).
      expect((await second.stripe.accounts.retrieveCurrent()).id).toBe(platform.id);
      const again = await second.stripe.subscriptions.retrieve(sub?.id ?? '');
      expect(again.status).toBe('active');
      expect((await second.stripe.customers.retrieve(customer.id)).deleted).toBeUndefined();
      expect((await second.stripe.prices.list({ lookup_keys: ['pro_monthly_state'] })).data[0]?.id).toBe(
        price.id,
      );
      // The renewal charges the saved card (its behaviour is part of the state): the subscription renews.
      const end = again.items.data[0]?.current_period_end ?? 0;
      await second.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 3_600 });
      for (let i = 0; i < 200; i++) {
        if ((await second.stripe.testHelpers.testClocks.retrieve(clock.id)).status === 'ready') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const renewed = await second.stripe.subscriptions.retrieve(again.id);
      expect(renewed.status).toBe('active');
      expect(renewed.items.data[0]?.current_period_end).toBeGreaterThan(end);
      // New objects get new ids, listed after the restored ones.
      const other = await second.stripe.customers.create({ email: 'new@example.test' });
      const listed = await second.stripe.customers.list({ limit: 10 });
      expect(listed.data.map((c) => c.id)).toEqual([other.id, customer.id]);
    } finally {
      await second.emulator.stop();
    }
  });

  it('refuses a file that is not its state instead of starting empty', async () => {
    const stateFile = file();
    const first = await startStripeEmulator({ stateFile });
    await first.stop();
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).version).toBe(1);
    writeFileSync(stateFile, JSON.stringify({ version: 1, objects: { dragon: [{ id: 'x' }] } }));
    await expect(startStripeEmulator({ stateFile })).rejects.toThrow(/unknown kind/);
    writeFileSync(stateFile, '{"hello": 1}');
    await expect(startStripeEmulator({ stateFile })).rejects.toThrow(/not a Stripe emulator state file/);
  });
});
