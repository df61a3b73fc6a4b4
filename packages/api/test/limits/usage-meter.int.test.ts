import type { Db } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { ManualClock } from '@qt/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageMeter, utcDay } from '../../src/limits/usage-meter.ts';

/** The usage meter against a real database: what it writes to `usage_daily`. */
describe('usage meter', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('carries fractions of a CPU millisecond over flushes instead of rounding them away', async () => {
    const tenant = await db.prisma.tenant.create({ data: { name: 'usage fractions' } });
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 12));
    const meter = new UsageMeter({ db: db.prisma, clock, logger: pino({ level: 'silent' }) });
    // 0.4 ms per flush: rounded per flush, ten flushes stored 0; 4 ms were spent.
    for (let i = 0; i < 10; i++) {
      meter.add(tenant.id, 'strategyCpuMs', 0.4);
      meter.add(tenant.id, 'alertsFired', 1);
      await meter.flush();
    }
    const row = await db.prisma.$queryRaw<{ strategy_cpu_ms: bigint; alerts_fired: bigint }[]>`
      SELECT strategy_cpu_ms, alerts_fired FROM usage_daily
      WHERE tenant_id = ${tenant.id}::uuid AND day = ${utcDay(clock.now())}::date`;
    // Floating-point sums of 0.4 may land just under 4: at least 3 whole ms stored, the rest pending.
    expect(Number(row[0]?.strategy_cpu_ms)).toBeGreaterThanOrEqual(3);
    expect(Number(row[0]?.alerts_fired)).toBe(10);
  });

  it('a flush that committed but whose answer was lost is not counted again on retry', async () => {
    const tenant = await db.prisma.tenant.create({ data: { name: 'usage lost answer' } });
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 13));
    // The real database; the next statement's answer is lost AFTER it committed (as when the connection
    // drops between COMMIT and its reply).
    let loseNextAnswer = false;
    const lossy = new Proxy(db.prisma, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === '$queryRaw' && typeof value === 'function') {
          return async (...args: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            if (loseNextAnswer) {
              loseNextAnswer = false;
              throw new Error('Connection terminated unexpectedly');
            }
            return result;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Db;
    const meter = new UsageMeter({ db: lossy, clock, logger: pino({ level: 'silent' }) });
    const stored = async () => {
      const rows = await db.prisma.$queryRaw<{ requests: bigint; orders: bigint }[]>`
        SELECT requests, orders FROM usage_daily
        WHERE tenant_id = ${tenant.id}::uuid AND day = ${utcDay(clock.now())}::date`;
      return { requests: Number(rows[0]?.requests ?? 0n), orders: Number(rows[0]?.orders ?? 0n) };
    };

    meter.add(tenant.id, 'requests', 7);
    meter.add(tenant.id, 'orders', 2);
    loseNextAnswer = true;
    await meter.flush();
    expect(meter.flushFailures).toBe(1);
    // It did commit.
    expect(await stored()).toEqual({ requests: 7, orders: 2 });

    // The retry (same flush id) is skipped; the new counts are added once.
    meter.add(tenant.id, 'requests', 3);
    await meter.flush();
    expect(meter.skippedFlushes).toBe(1);
    expect(await stored()).toEqual({ requests: 10, orders: 2 });
    await meter.flush();
    expect(await stored()).toEqual({ requests: 10, orders: 2 });

    // A flush that really failed (nothing committed) is added once when retried.
    meter.add(tenant.id, 'requests', 5);
    const down = new UsageMeter({ db: lossy, clock, logger: pino({ level: 'silent' }) });
    down.add(tenant.id, 'orders', 4);
    await db.prisma.$executeRaw`ALTER TABLE usage_flushes RENAME TO usage_flushes_away`;
    try {
      await down.flush();
    } finally {
      await db.prisma.$executeRaw`ALTER TABLE usage_flushes_away RENAME TO usage_flushes`;
    }
    expect(down.flushFailures).toBe(1);
    await down.flush();
    await meter.flush();
    expect(await stored()).toEqual({ requests: 15, orders: 6 });
    const ids = await db.prisma.usageFlush.count({
      where: { id: { startsWith: meter.instanceId } },
    });
    // The lost one (recorded once), the +3 and the +5: three flushes that wrote.
    expect(ids).toBe(3);
  });

  it('samples storage rows in its own loop, bounded per run, for tenants active today', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 8, 9));
    const tenants: { id: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const tenant = await db.prisma.tenant.create({ data: { name: `usage storage ${i}` } });
      for (let s = 0; s <= i; s++) {
        await db.prisma.strategy.create({ data: { tenantId: tenant.id, name: `s${s}` } });
      }
      tenants.push(tenant);
    }
    // Tenant 2 is not active today: no usage, no sample.
    const meter = new UsageMeter({
      db: db.prisma,
      clock,
      logger: pino({ level: 'silent' }),
      storageTenantsPerRun: 1,
      storageSampleMs: 60_000,
    });
    const sampled = async () => {
      const rows = await db.prisma.usageDaily.findMany({
        where: {
          tenantId: { in: tenants.map((t) => t.id) },
          day: new Date(`${utcDay(clock.now())}T00:00:00Z`),
        },
      });
      return new Map(rows.map((r) => [r.tenantId, r.storageSampledAt ? Number(r.storageRows) : null]));
    };
    meter.add(tenants[0]?.id as string, 'requests', 1);
    meter.add(tenants[1]?.id as string, 'requests', 1);
    await meter.flush();
    // One tenant per run.
    expect([...(await sampled()).values()].filter((v) => v !== null)).toHaveLength(1);
    // Not again before storageSampleMs.
    await meter.flush();
    expect([...(await sampled()).values()].filter((v) => v !== null)).toHaveLength(1);
    clock.advance(60_000);
    await meter.flush();
    const after = await sampled();
    expect(after.get(tenants[0]?.id as string)).toBe(1);
    expect(after.get(tenants[1]?.id as string)).toBe(2);
    expect(after.has(tenants[2]?.id as string)).toBe(false);
  });
});
