import { describe, expect, it } from 'vitest';
import { StripeApiError } from '../src/errors.ts';
import { parseForm } from '../src/http/form.ts';
import { startStripeEmulator } from '../src/index.ts';

describe('form decoding', () => {
  it("decodes Stripe's bracket notation: nested objects, indexed and appended arrays", () => {
    const params = parseForm(
      'items[0][price]=price_a&items[0][quantity]=2&items[1][price]=price_b&metadata[tenant]=t%201&expand[]=customer&expand[]=data.product&description=',
    );
    expect(params).toEqual({
      items: [{ price: 'price_a', quantity: '2' }, { price: 'price_b' }],
      metadata: { tenant: 't 1' },
      expand: ['customer', 'data.product'],
      description: '',
    });
  });

  it('compacts sparse indices in order and accepts encoded brackets', () => {
    expect(parseForm('lookup_keys[3]=c&lookup_keys[1]=a')).toEqual({ lookup_keys: ['a', 'c'] });
    expect(parseForm('metadata%5Bk%5D=v')).toEqual({ metadata: { k: 'v' } });
  });

  it('refuses names nested too deeply, huge indices and conflicting shapes with a typed error', () => {
    expect(() => parseForm('a[b][c][d][e][f][g][h][i]=1')).toThrow(StripeApiError);
    expect(() => parseForm('a[100000]=1')).toThrow(StripeApiError);
    expect(() => parseForm('a=1&a[b]=2')).toThrow(StripeApiError);
  });
});

describe('raw HTTP', () => {
  it('serves curl-style requests: Basic auth, expand[] in the query, JSON errors', async () => {
    const emulator = await startStripeEmulator();
    try {
      const auth = `Basic ${Buffer.from('sk_test_x:').toString('base64')}`;
      const created = await fetch(`${emulator.url}/v1/prices`, {
        method: 'POST',
        headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'currency=usd&unit_amount=100&product_data[name]=Curl&recurring[interval]=month',
      });
      expect(created.status).toBe(200);
      const price = (await created.json()) as { id: string };
      const got = await fetch(`${emulator.url}/v1/prices/${price.id}?expand[]=product`, {
        headers: { Authorization: auth },
      });
      expect(((await got.json()) as { product: { name: string } }).product.name).toBe('Curl');
      const bad = await fetch(`${emulator.url}/v1/prices/${price.id}?expand[]=nope`, {
        headers: { Authorization: auth },
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
      const wrongMethod = await fetch(`${emulator.url}/v1/prices/${price.id}`, {
        method: 'DELETE',
        headers: { Authorization: auth },
      });
      expect(wrongMethod.status).toBe(404);
    } finally {
      await emulator.stop();
    }
  });
});
