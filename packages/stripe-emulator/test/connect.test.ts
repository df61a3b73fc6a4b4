import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../src/index.ts';
import { makePrice, payCheckout, startWithSdk } from './harness.ts';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startWithSdk());
});
afterAll(() => emulator.stop());

const form = (action: string) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: `action=${action}`,
  redirect: 'manual' as const,
});

async function onboard(action: 'complete' | 'later'): Promise<Stripe.Account> {
  const account = await stripe.accounts.create({ type: 'express', email: 'seller@example.com' });
  const link = await stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
    refresh_url: 'http://app.test/connect/refresh',
    return_url: 'http://app.test/connect/return',
  });
  expect((await fetch(link.url)).status).toBe(200);
  const done = await fetch(link.url, form(action));
  expect(done.status).toBe(303);
  expect(done.headers.get('location')).toBe('http://app.test/connect/return');
  return stripe.accounts.retrieve(account.id);
}

describe('Connect Express', () => {
  it('onboards through a one-time account link', async () => {
    const account = await stripe.accounts.create({ type: 'express', email: 'seller@example.com' });
    expect(account.id).toMatch(/^acct_/);
    expect(account.charges_enabled).toBe(false);
    expect(account.requirements?.currently_due).not.toHaveLength(0);
    const link = await stripe.accountLinks.create({
      account: account.id,
      type: 'account_onboarding',
      refresh_url: 'http://app.test/connect/refresh',
      return_url: 'http://app.test/connect/return',
    });
    expect(link.object).toBe('account_link');
    expect(link.expires_at).toBeGreaterThan(link.created);
    expect((await fetch(link.url)).status).toBe(200);
    const again = await fetch(link.url, { redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('http://app.test/connect/refresh');

    const done = await onboard('complete');
    expect(done).toMatchObject({ charges_enabled: true, payouts_enabled: true, details_submitted: true });
    expect(done.capabilities?.transfers).toBe('active');
    expect(emulator.events().some((e) => e.type === 'account.updated' && e.data.object.id === done.id)).toBe(
      true,
    );
  });

  it('returning without finishing leaves the account disabled', async () => {
    const later = await onboard('later');
    expect(later.charges_enabled).toBe(false);
    const price = await makePrice(stripe, 1000);
    const err = await stripe.checkout.sessions
      .create({
        mode: 'subscription',
        line_items: [{ price: price.id }],
        success_url: 'http://app.test/ok',
        subscription_data: { application_fee_percent: 10, transfer_data: { destination: later.id } },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe('insufficient_capabilities_for_transfer');
  });

  it('splits a subscription payment: application fee to the platform, the rest to the seller, refunds reverse it', async () => {
    const seller = await onboard('complete');
    const price = await makePrice(stripe, 10_000, 'month', 'Strategy listing');
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id }],
      customer_email: 'buyer@example.com',
      success_url: 'http://app.test/ok',
      subscription_data: { application_fee_percent: 10, transfer_data: { destination: seller.id } },
    });
    expect((await payCheckout(session.url as string, '4242424242424242')).status).toBe(303);
    const sub = await stripe.subscriptions.retrieve(
      (await stripe.checkout.sessions.retrieve(session.id)).subscription as string,
    );
    expect(sub.application_fee_percent).toBe(10);
    expect(sub.transfer_data?.destination).toBe(seller.id);

    const charge = (await stripe.charges.list({ customer: sub.customer as string })).data[0] as Stripe.Charge;
    expect(charge.amount).toBe(10_000);
    expect(charge.application_fee_amount).toBe(1_000);
    const fee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee).toMatchObject({ amount: 1_000, account: seller.id });

    const platform = await stripe.balanceTransactions.list({ limit: 100 });
    const mine = platform.data.filter((t) => t.source === charge.id);
    expect(mine.map((t) => [t.type, t.amount, t.fee, t.net]).sort()).toEqual(
      [
        ['charge', 10_000, 320, 9_680],
        ['transfer', -9_000, 0, -9_000],
      ].sort(),
    );
    const sellerTxns = await stripe.balanceTransactions.list({}, { stripeAccount: seller.id });
    expect(sellerTxns.data.map((t) => [t.type, t.net])).toEqual([['payment', 9_000]]);
    const sellerBalance = await stripe.balance.retrieve({}, { stripeAccount: seller.id });
    expect(sellerBalance.available).toEqual([
      { amount: 9_000, currency: 'usd', source_types: { card: 9_000 } },
    ]);

    const tooMuch = await stripe.refunds.create({ charge: charge.id, amount: 10_001 }).catch((e) => e);
    expect(tooMuch.code).toBe('amount_too_large');
    const refund = await stripe.refunds.create({
      payment_intent: charge.payment_intent as string,
      amount: 5_000,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    expect(refund).toMatchObject({ object: 'refund', amount: 5_000, status: 'succeeded', charge: charge.id });
    expect((await stripe.charges.retrieve(charge.id)).amount_refunded).toBe(5_000);
    expect((await stripe.applicationFees.retrieve(fee.id)).amount_refunded).toBe(500);
    const afterSeller = await stripe.balance.retrieve({}, { stripeAccount: seller.id });
    expect(afterSeller.available[0]?.amount).toBe(4_500);
    const types = emulator
      .events()
      .slice(-2)
      .map((e) => e.type);
    expect(types).toEqual(['refund.created', 'charge.refunded']);
  });
});
