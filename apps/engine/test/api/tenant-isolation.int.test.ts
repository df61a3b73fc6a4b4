import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorShapeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

let t: TestEngine;
let a: Awaited<ReturnType<TestEngine['signUp']>>;
let b: Awaited<ReturnType<TestEngine['signUp']>>;
let aKey: string;
let bKeyId: string;

beforeAll(async () => {
  t = await startTestEngine();
  a = await t.signUp('tenant-a');
  b = await t.signUp('tenant-b');
  aKey = (await t.client(a.token).apiKeys.create.mutate({ name: 'a', scopes: ['read', 'manage'] })).secret;
  bKeyId = (await t.client(b.token).apiKeys.create.mutate({ name: 'b', scopes: ['read'] })).apiKey.id;
});
afterAll(() => t?.stop());

/** The error as a caller sees it, minus the one field that legitimately differs (the path is the same). */
const normalise = (shape: unknown) => JSON.parse(JSON.stringify(shape));

describe('tenant isolation (OWASP API1)', () => {
  for (const via of ['session', 'api key'] as const) {
    it(`gives tenant A's ${via} "not found" for tenant B's key, identical to a key that does not exist`, async () => {
      const cred = via === 'session' ? a.token : aKey;
      const foreign = await errorShapeOf(t.client(cred).apiKeys.revoke.mutate({ id: bKeyId }));
      const missing = await errorShapeOf(t.client(cred).apiKeys.revoke.mutate({ id: randomUUID() }));
      expect(normalise(foreign)).toEqual(normalise(missing));
      expect((foreign as { data: { appCode: string } }).data.appCode).toBe('NOT_FOUND');
      // And B's key is untouched.
      const bKeys = await t.client(b.token).apiKeys.list.query();
      expect(bKeys.find((k) => k.id === bKeyId)?.revokedAt).toBeNull();
    });
  }

  it("lists and shows only the caller's own tenant", async () => {
    const listed = await t.client(a.token).apiKeys.list.query();
    expect(listed.some((k) => k.id === bKeyId)).toBe(false);
    expect((await t.client(aKey).accounts.tenant.query()).id).toBe(a.tenant.id);
  });

  it('takes no measurably different time for a foreign id than for a missing one', async () => {
    const client = t.client(a.token);
    const time = async (id: string) => {
      const started = performance.now();
      await client.apiKeys.revoke.mutate({ id }).catch(() => undefined);
      return performance.now() - started;
    };
    const foreign: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 5; i++) await time(bKeyId); // warm up
    for (let i = 0; i < 40; i++) {
      foreign.push(await time(bKeyId));
      missing.push(await time(randomUUID()));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    // Both paths run the same single indexed query filtered by tenant; a real difference (an extra
    // lookup) would show up as a large ratio. The bound is loose because this machine is noisy.
    const ratio = median(foreign) / median(missing);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
