import type { BillingContext } from './context.ts';
import { stripeCall } from './stripe-call.ts';

/** The tenant's Stripe customer id, or null before its first checkout. */
export async function customerOf(ctx: BillingContext, tenantId: string): Promise<string | null> {
  const row = await ctx.db.billingCustomer.findUnique({ where: { tenantId } });
  return row?.stripeCustomerId ?? null;
}

/**
 * The tenant's one Stripe customer, created on first use. Two first checkouts at once both reach Stripe
 * with the same Idempotency-Key (so Stripe creates one customer) and both insert; the primary key keeps
 * one row and both read it back. With test clocks each customer lives on its own clock, frozen at now.
 */
export async function ensureCustomer(
  ctx: BillingContext,
  tenant: { tenantId: string; tenantName: string },
): Promise<string> {
  const existing = await customerOf(ctx, tenant.tenantId);
  if (existing) return existing;
  let testClock: string | undefined;
  if (ctx.testClocks) {
    const clock = await stripeCall('creating a test clock', () =>
      ctx.stripe.testHelpers.testClocks.create(
        { frozen_time: Math.floor(ctx.clock.now() / 1000), name: `tenant ${tenant.tenantId}` },
        { idempotencyKey: `qt-clock-${tenant.tenantId}` },
      ),
    );
    testClock = clock.id;
  }
  const customer = await stripeCall('creating the customer', () =>
    ctx.stripe.customers.create(
      {
        name: tenant.tenantName,
        metadata: { qt_tenant: tenant.tenantId },
        ...(testClock ? { test_clock: testClock } : {}),
      },
      { idempotencyKey: `qt-customer-${tenant.tenantId}` },
    ),
  );
  await ctx.db.$executeRaw`
    INSERT INTO billing_customers (tenant_id, stripe_customer_id) VALUES (${tenant.tenantId}::uuid, ${customer.id})
    ON CONFLICT (tenant_id) DO NOTHING`;
  const stored = await customerOf(ctx, tenant.tenantId);
  if (!stored) throw new Error('billing customer row vanished after insert');
  return stored;
}
