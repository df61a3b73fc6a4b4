import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { STRIPE_CLIENT_OPTIONS } from '../../src/billing/start-billing.ts';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

const noFile = join(tmpdir(), 'does-not-exist-quant-trader.yaml');

describe('billing config', () => {
  it('defaults to the emulator on 12111 with the documented marketplace settings', () => {
    const c = loadConfig({ env: { QT_CONFIG: noFile } });
    expect(c.stripeSecretKey).toBeUndefined();
    expect(c.stripeEmulatorPort).toBe(12_111);
    expect(c.stripeEmulatorHost).toBe('127.0.0.1');
    expect(c.marketplaceFeePercent).toBe(20);
    expect(c.billingReconcileMs).toBe(900_000);
    expect(c.marketplaceVerifyDays).toBe(30);
    expect(c.marketplaceVerifyMinCandles).toBe(100);
  });

  it('refuses a Stripe key without the webhook secret, naming both variables', () => {
    const load = () => loadConfig({ env: { QT_CONFIG: noFile, STRIPE_SECRET_KEY: 'sk_test_abc123' } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/STRIPE_WEBHOOK_SECRET.*STRIPE_SECRET_KEY/);
    const c = loadConfig({
      env: {
        QT_CONFIG: noFile,
        STRIPE_SECRET_KEY: 'sk_live_abc123',
        STRIPE_WEBHOOK_SECRET: 'whsec_abcdefgh',
      },
    });
    expect(c.stripeSecretKey).toBe('sk_live_abc123');
  });

  it('refuses what is not a secret key and out-of-range settings', () => {
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, STRIPE_SECRET_KEY: 'pk_test_abc' } })).toThrow(
      /stripeSecretKey \(STRIPE_SECRET_KEY\)/,
    );
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, MARKETPLACE_FEE_PERCENT: '101' } })).toThrow(
      /MARKETPLACE_FEE_PERCENT/,
    );
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, BILLING_RECONCILE_MS: '10' } })).toThrow(
      /BILLING_RECONCILE_MS/,
    );
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, STRIPE_EMULATOR_PORT: '70000' } })).toThrow(
      /STRIPE_EMULATOR_PORT/,
    );
  });

  it('takes an optional Connect endpoint secret', () => {
    expect(loadConfig({ env: { QT_CONFIG: noFile } }).stripeConnectWebhookSecret).toBeUndefined();
    const c = loadConfig({
      env: { QT_CONFIG: noFile, STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect123' },
    });
    expect(c.stripeConnectWebhookSecret).toBe('whsec_connect123');
    expect(() => loadConfig({ env: { QT_CONFIG: noFile, STRIPE_CONNECT_WEBHOOK_SECRET: 'short' } })).toThrow(
      /STRIPE_CONNECT_WEBHOOK_SECRET/,
    );
  });

  it('gives every Stripe client a 10 s timeout and two network retries', () => {
    expect(STRIPE_CLIENT_OPTIONS).toEqual({ timeout: 10_000, maxNetworkRetries: 2 });
    const stripe = new Stripe('sk_test_x', {
      host: '127.0.0.1',
      port: 1,
      protocol: 'http',
      ...STRIPE_CLIENT_OPTIONS,
    });
    expect(stripe.getMaxNetworkRetries()).toBe(2);
    expect(stripe.getApiField('timeout')).toBe(10_000);
  });
});
