import type { AlertView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { emptyForm, formOf, newWebhookSecret, toCreateInput, toUpdateInput } from './alert-form-model';

const NOW = Date.UTC(2026, 0, 1);

describe('toCreateInput', () => {
  it('turns a price form into the API call, the level kept as the exact decimal typed', () => {
    const r = toCreateInput(emptyForm({ name: 'BTC 65k', price: '65,000.10' }), null, NOW);
    expect(r).toEqual({
      ok: true,
      input: {
        name: 'BTC 65k',
        venue: 'binance',
        symbol: 'BTC-USDT',
        condition: { kind: 'price', op: 'crosses', value: '65000.10' },
        trigger: { mode: 'once' },
        expiresAt: null,
        channels: [],
      },
    });
  });

  it('says what is wrong next to each field instead of calling the engine', () => {
    const r = toCreateInput(
      emptyForm({ kind: 'range', low: '70000', high: '65000', triggerMode: 'every', cooldownSeconds: '0' }),
      null,
      NOW,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.name).toBeDefined();
      expect(r.errors.low).toBe('below the high bound');
      expect(r.errors.cooldownSeconds).toBeDefined();
    }
  });

  it('builds indicator, volume and data-quality conditions with their triggers', () => {
    const rsi = toCreateInput(
      emptyForm({
        name: 'r',
        kind: 'rsi',
        interval: '5m',
        triggerMode: 'oncePerBarClose',
        triggerInterval: '5m',
      }),
      null,
      NOW,
    );
    expect(rsi.ok && rsi.input.condition).toEqual({
      kind: 'rsi',
      interval: '5m',
      period: 14,
      op: 'above',
      value: 70,
    });
    expect(rsi.ok && rsi.input.trigger).toEqual({ mode: 'oncePerBarClose', interval: '5m' });
    const ema = toCreateInput(emptyForm({ name: 'e', kind: 'emaCross', fast: '30', slow: '20' }), null, NOW);
    expect(!ema.ok && ema.errors.fast).toBe('smaller than the slow period');
    const dq = toCreateInput(
      emptyForm({
        name: 'd',
        kind: 'dataQuality',
        venue: '',
        symbol: '',
        events: ['feedStale'],
        pauseDeployment: true,
      }),
      null,
      NOW,
    );
    expect(dq.ok && dq.input).toMatchObject({
      condition: { kind: 'dataQuality', events: ['feedStale'], pauseDeployment: true },
    });
    expect(dq.ok && 'venue' in dq.input).toBe(false);
    const every = toCreateInput(
      emptyForm({ name: 'x', price: '1', triggerMode: 'every', cooldownSeconds: '90' }),
      null,
      NOW,
    );
    expect(every.ok && every.input.trigger).toEqual({ mode: 'every', cooldownMs: 90_000 });
  });

  it('refuses an expiry in the past and a webhook without its secret', () => {
    const r = toCreateInput(
      emptyForm({
        name: 'n',
        price: '1',
        expiresAt: '2020-01-01T00:00',
        webhookUrl: 'https://example.test/h',
      }),
      null,
      NOW,
    );
    expect(!r.ok && r.errors.expiresAt).toBe('in the future');
    expect(!r.ok && r.errors.webhookUrl).toBeDefined();
  });

  it('sends email and webhook channels, the webhook with the generated secret', () => {
    const r = toCreateInput(
      emptyForm({ name: 'n', price: '1', emailTo: 'me@example.test', webhookUrl: 'https://example.test/h' }),
      'whsec_0123456789abcdef',
      NOW,
    );
    expect(r.ok && r.input.channels).toEqual([
      { kind: 'email', id: 'email', to: 'me@example.test' },
      { kind: 'webhook', id: 'webhook', url: 'https://example.test/h', secret: 'whsec_0123456789abcdef' },
    ]);
  });
});

describe('editing', () => {
  const stored: AlertView = {
    id: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
    name: 'BTC band',
    venue: 'okx',
    symbol: 'BTC-USDT',
    condition: { kind: 'range', op: 'exitsRange', low: '60000', high: '70000.5' },
    trigger: { mode: 'every', cooldownMs: 120_000 },
    expiresAt: null,
    message: '{{alert}} at {{price}}',
    channels: [{ kind: 'webhook', id: 'webhook', target: 'https://example.test/h' }],
    state: 'active',
    createdAt: NOW,
    updatedAt: NOW,
  };

  it('fills the form from a stored alert and saves it back unchanged, without resending channels', () => {
    const form = formOf(stored);
    expect(form).toMatchObject({
      kind: 'range',
      rangeOp: 'exitsRange',
      high: '70000.5',
      cooldownSeconds: '120',
    });
    const r = toUpdateInput(stored.id, form, null, false, NOW);
    expect(r).toEqual({
      ok: true,
      input: {
        alertId: stored.id,
        name: 'BTC band',
        venue: 'okx',
        symbol: 'BTC-USDT',
        condition: stored.condition,
        trigger: stored.trigger,
        expiresAt: null,
        message: '{{alert}} at {{price}}',
      },
    });
  });

  it('resends channels only when they changed, with a new secret', () => {
    const r = toUpdateInput(stored.id, formOf(stored), 'whsec_new-secret-0123456', true, NOW);
    expect(r.ok && r.input.channels).toEqual([
      { kind: 'webhook', id: 'webhook', url: 'https://example.test/h', secret: 'whsec_new-secret-0123456' },
    ]);
  });
});

describe('newWebhookSecret', () => {
  it('is 32 random bytes in base64url, long enough for the engine (16 to 256 characters)', () => {
    const s = newWebhookSecret((n) => new Uint8Array(n).fill(255));
    expect(s).toBe(`whsec_${'_'.repeat(42)}8`);
    expect(newWebhookSecret()).not.toBe(newWebhookSecret());
    expect(newWebhookSecret().length).toBeGreaterThanOrEqual(16);
  });
});
