import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EvaluatorLock, lockEvaluator } from '../../src/alerts/evaluator-lock.ts';

/**
 * Two live engines on one evaluator id would split its durable consumers' messages: the second one to
 * start runs its alerts under a fresh id instead; once the first let go, the id is free again.
 */
describe.skipIf(!process.env.DATABASE_URL)('alert evaluator lock (PostgreSQL)', () => {
  const held: EvaluatorLock[] = [];
  const logger = pino({ level: 'silent' });
  afterAll(async () => {
    for (const l of held) await l.release();
  });

  it('a second live holder of the id falls back to a fresh id; the id is free after release', async () => {
    const databaseUrl = process.env.DATABASE_URL as string;
    const evaluatorId = `alerts:lock-test-${randomBytes(4).toString('hex')}`;
    const a = await lockEvaluator({ databaseUrl, evaluatorId, logger });
    held.push(a);
    expect(a).toMatchObject({ id: evaluatorId, fellBack: false });

    const b = await lockEvaluator({ databaseUrl, evaluatorId, logger });
    held.push(b);
    expect(b.fellBack).toBe(true);
    expect(b.id).toMatch(/^alerts:dup-[0-9a-f]{12}$/);
    // Short enough that its durable names stay distinct (alert-service.ts keeps 48 characters).
    expect(b.id.length).toBeLessThanOrEqual(48);

    // Another id whose durable consumer names would be the same (`:` and `.` both become `_`).
    const twin = await lockEvaluator({ databaseUrl, evaluatorId: evaluatorId.replace(':', '.'), logger });
    held.push(twin);
    expect(twin.fellBack).toBe(true);

    await a.release();
    const c = await lockEvaluator({ databaseUrl, evaluatorId, logger });
    held.push(c);
    expect(c).toMatchObject({ id: evaluatorId, fellBack: false });
  }, 30_000);
});
