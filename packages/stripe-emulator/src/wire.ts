import type Stripe from 'stripe';

/**
 * An object as it travels on the wire. The SDK's types describe objects after it has coerced
 * `*_decimal` strings into its `Decimal` class; the JSON carries strings, so the emulator's objects use
 * this mapping. Everything else is the SDK's own type: a field Stripe adds or renames in a new SDK
 * version becomes a compile error here instead of a silent shape drift.
 */
export type Wire<T> = T extends Stripe.Decimal
  ? string
  : T extends string | number | boolean | bigint | symbol | null | undefined
    ? T
    : T extends (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

export type Customer = Wire<Stripe.Customer>;
export type Product = Wire<Stripe.Product>;
export type Price = Wire<Stripe.Price>;
export type PaymentMethod = Wire<Stripe.PaymentMethod>;
export type CheckoutSession = Wire<Stripe.Checkout.Session>;
export type LineItem = Wire<Stripe.LineItem>;
export type Subscription = Wire<Stripe.Subscription>;
export type SubscriptionItem = Wire<Stripe.SubscriptionItem>;
export type Invoice = Wire<Stripe.Invoice>;
export type InvoiceLineItem = Wire<Stripe.InvoiceLineItem>;
export type InvoicePayment = Wire<Stripe.InvoicePayment>;
export type PaymentIntent = Wire<Stripe.PaymentIntent>;
export type TestClock = Wire<Stripe.TestHelpers.TestClock>;
export type PortalSession = Wire<Stripe.BillingPortal.Session>;
export type PortalConfiguration = Wire<Stripe.BillingPortal.Configuration>;
export type Account = Wire<Stripe.Account>;
export type Charge = Wire<Stripe.Charge>;
export type Refund = Wire<Stripe.Refund>;
export type BalanceTransaction = Wire<Stripe.BalanceTransaction>;
export type ApplicationFee = Wire<Stripe.ApplicationFee>;
export type Balance = Wire<Stripe.Balance>;
export type EventType = Stripe.Event['type'];

/** The event envelope; `data.object` is a snapshot of the object when the event happened. */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string | null;
  created: number;
  data: { object: { id?: string | null; object: string }; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: EventType;
}

export interface ObjectsByKind {
  customer: Customer;
  product: Product;
  price: Price;
  payment_method: PaymentMethod;
  'checkout.session': CheckoutSession;
  subscription: Subscription;
  invoice: Invoice;
  invoice_payment: InvoicePayment;
  payment_intent: PaymentIntent;
  'test_helpers.test_clock': TestClock;
  'billing_portal.session': PortalSession;
  'billing_portal.configuration': PortalConfiguration;
  event: StripeEvent;
  account: Account;
  charge: Charge;
  refund: Refund;
  balance_transaction: BalanceTransaction;
  application_fee: ApplicationFee;
}
export type Kind = keyof ObjectsByKind;

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}
