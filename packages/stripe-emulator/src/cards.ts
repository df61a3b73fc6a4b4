import { type CardBehaviour, type Ctx, nowFor } from './context.ts';
import { cardDeclined, StripeApiError } from './errors.ts';
import { newId } from './store.ts';
import type { PaymentMethod } from './wire.ts';

interface TestCard {
  number: string;
  brand: 'visa' | 'mastercard';
  behaviour: CardBehaviour;
  declineCode?: string;
  message?: string;
}

/** Stripe's documented test cards, by PaymentMethod token and by number. */
const testCards: Record<string, TestCard> = {
  pm_card_visa: { number: '4242424242424242', brand: 'visa', behaviour: 'succeeds' },
  pm_card_mastercard: { number: '5555555555554444', brand: 'mastercard', behaviour: 'succeeds' },
  pm_card_chargeDeclined: { number: '4000000000000002', brand: 'visa', behaviour: 'declines' },
  pm_card_chargeDeclinedInsufficientFunds: {
    number: '4000000000009995',
    brand: 'visa',
    behaviour: 'declines',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeCustomerFail: { number: '4000000000000341', brand: 'visa', behaviour: 'fails_on_charge' },
};
const byNumber = new Map(Object.values(testCards).map((c) => [c.number, c]));

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function isTestCardToken(id: string): boolean {
  return id in testCards;
}

/** The card a number typed on a hosted page stands for; errors as Stripe's test mode answers. */
export function cardFromNumber(raw: string): TestCard {
  const digits = raw.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !luhn(digits)) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: 'incorrect_number',
      message: 'Your card number is incorrect.',
      param: 'number',
    });
  }
  const card = byNumber.get(digits);
  if (!card) {
    throw cardDeclined('Your card was declined. Your request was in test mode, but used a non test card.');
  }
  return card;
}

export function cardFromToken(token: string): TestCard | undefined {
  return testCards[token];
}

/**
 * Creates the PaymentMethod for a test card and attaches it to the customer. Cards that decline are
 * refused here, as Stripe's attach (which authorises the card) refuses them.
 */
export function attachCard(ctx: Ctx, card: TestCard, customer: string | null): PaymentMethod {
  if (card.behaviour === 'declines') throw cardDeclined(card.message, card.declineCode);
  const last4 = card.number.slice(-4);
  const pm: PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date(nowFor(ctx, customer) * 1000).getUTCFullYear() + 3,
      fingerprint: `fp${card.number.slice(-8)}`,
      funding: 'credit',
      generated_from: null,
      last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: nowFor(ctx, customer),
    customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
  ctx.store.insert('payment_method', pm);
  ctx.cards.set(pm.id, card.behaviour);
  return pm;
}
