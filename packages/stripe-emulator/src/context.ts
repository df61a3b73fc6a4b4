import type { Params } from './http/form.ts';
import type { Store } from './store.ts';
import { newId } from './store.ts';
import type { BillingOptions } from './types.ts';
import type { WebhookDeliverer } from './webhooks.ts';
import type { EventType, StripeEvent } from './wire.ts';

export type CardBehaviour = 'succeeds' | 'declines' | 'fails_on_charge';

/** Billing state Stripe keeps but does not show on the subscription object. */
export interface SubscriptionState {
  /** Proration amounts (minor units, may be negative) waiting for the next invoice. */
  pendingProrations: { amount: number; description: string; price: string }[];
  /** Set while a renewal invoice is unpaid: when to try again and how many retries were made. */
  dunning: { invoice: string; retriesDone: number; nextAttemptAt: number } | null;
}

export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
  /** The `Stripe-Account` header: a connected account the request acts for. */
  account: string | null;
}

export interface Ctx {
  store: Store;
  webhooks: WebhookDeliverer;
  /** Base of hosted pages (`<base>/c/pay/<session>`, `<base>/p/session/<id>`). */
  baseUrl: string;
  apiVersion: string;
  billing: Required<BillingOptions>;
  wallSeconds(): number;
  cards: Map<string, CardBehaviour>;
  subscriptions: Map<string, SubscriptionState>;
  /** Whose balance a balance transaction belongs to: a connected account id, or null for the platform. */
  balanceOwners: Map<string, string | null>;
  /** The API request being served, for `event.request`; null for test-clock and page actions. */
  request: RequestInfo | null;
  /**
   * The platform's own account (what the secret key belongs to): `GET /v1/account` answers it. Its id is
   * kept in the state file, so a restarted emulator is the same Stripe account.
   */
  platform: { id: string; created: number };
}

/** Seconds on the customer's test clock when it has one, else on the wall clock. */
export function nowFor(ctx: Ctx, customerId: string | null | undefined): number {
  if (customerId) {
    const customer = ctx.store.find('customer', customerId);
    const clock = typeof customer?.test_clock === 'string' ? customer.test_clock : null;
    if (clock) {
      const tc = ctx.store.find('test_helpers.test_clock', clock);
      if (tc) return tc.frozen_time;
    }
  }
  return ctx.wallSeconds();
}

export function testClockOf(ctx: Ctx, customerId: string | null | undefined): string | null {
  if (!customerId) return null;
  const clock = ctx.store.find('customer', customerId)?.test_clock;
  return typeof clock === 'string' ? clock : null;
}

/** Top-level fields that changed, with their old values: Stripe's `previous_attributes`. */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const prev: Record<string, unknown> = {};
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) prev[key] = a[key] ?? null;
  }
  return prev;
}

/** Records an event (a snapshot of `object`) and queues its delivery. */
export function emit(
  ctx: Ctx,
  type: EventType,
  object: { id?: string | null; object: string },
  previous?: Record<string, unknown>,
  createdAt?: number,
): StripeEvent {
  const event: StripeEvent = {
    id: newId('evt'),
    object: 'event',
    api_version: ctx.apiVersion,
    created: createdAt ?? ctx.wallSeconds(),
    data: {
      object: structuredClone(object),
      ...(previous && Object.keys(previous).length > 0 ? { previous_attributes: previous } : {}),
    },
    livemode: false,
    pending_webhooks: ctx.webhooks.endpoints,
    request: { id: ctx.request?.id ?? null, idempotency_key: ctx.request?.idempotencyKey ?? null },
    type,
  };
  ctx.store.insert('event', event);
  ctx.webhooks.enqueue(event);
  return event;
}

export type Handler = (ctx: Ctx, params: Params, path: string[]) => unknown;
