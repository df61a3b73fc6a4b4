import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertDeliveryStatus,
  type AlertState,
  type BacktestStatus,
  type Db,
  type DeploymentState,
  type LedgerPostingType,
  type Liquidity,
  type OrderStatus,
  type OrderType,
  Prisma,
  type Role,
  type Tier,
  type TimeInForce,
} from '../src/index.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../src/testing/index.ts';
import { diffSchema } from './schema-diff.ts';
import { columnOf, type DmmfModel, loadDmmf, schemaPath } from './schema-dmmf.ts';

// prisma/schema.prisma and the database built by prisma/migrations must describe the same thing: the
// Prisma client trusts the schema, the database only knows the migrations.

const dmmf = loadDmmf();
const problemsIn = (url: string, schema = dmmf) => withClient(url, (c) => diffSchema(c, schema));
const report = (problems: string[]) =>
  `schema.prisma and the migrated database differ:\n  ${problems.join('\n  ')}`;

describe('schema.prisma and prisma/migrations agree', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('a freshly migrated database has exactly the schema of schema.prisma', async () => {
    expect(dmmf.models.length).toBeGreaterThan(0);
    const problems = await problemsIn(db.url);
    expect(problems, report(problems)).toEqual([]);
  });

  it('the comparison fails when schema.prisma has a field the migrations lack', async () => {
    const text = readFileSync(schemaPath, 'utf8');
    const edited = text.replace(/^model Venue \{\n/m, 'model Venue {\n  extra String\n');
    expect(edited).not.toBe(text);
    const problems = await problemsIn(db.url, loadDmmf(edited));
    expect(problems).toEqual(['Venue.extra (venues.extra): column missing']);
  });

  it('compares Unsupported("...") fields (a generated column) by column, type and index', async () => {
    const text = readFileSync(schemaPath, 'utf8');
    expect(text).toContain('searchDoc              Unsupported("tsvector")? @map("search_doc")');
    const wrongType = text.replace(
      'Unsupported("tsvector")? @map("search_doc")',
      'Unsupported("text")? @map("search_doc")',
    );
    expect(await problemsIn(db.url, loadDmmf(wrongType))).toEqual([
      'MarketplaceListing.searchDoc (marketplace_listings.search_doc): type tsvector, schema says text',
    ]);
    const renamed = text.replace(
      'Unsupported("tsvector")? @map("search_doc")',
      'Unsupported("tsvector")? @map("search_doc2")',
    );
    expect(await problemsIn(db.url, loadDmmf(renamed))).toEqual([
      'MarketplaceListing.searchDoc (marketplace_listings.search_doc2): column missing',
      'marketplace_listings.search_doc: column not in model MarketplaceListing',
      'index marketplace_listings:normal:search_doc2 is in the schema but not in the database',
      'index marketplace_listings:normal:search_doc is in the database but not in the schema',
    ]);
  });

  it('the comparison fails for each kind of difference on the database side', async () => {
    const drifted = await createTestDatabase();
    try {
      await withClient(drifted.url, async (c) => {
        await c.query('ALTER TABLE "venues" ADD COLUMN "surprise" TEXT');
        await c.query('ALTER TABLE "tenants" ALTER COLUMN "name" DROP NOT NULL');
        await c.query('ALTER TABLE "instruments" ALTER COLUMN "tick_size" TYPE DECIMAL(20,8)');
        await c.query('ALTER TABLE "instruments" ALTER COLUMN "status" DROP DEFAULT');
        await c.query(`ALTER TYPE "Role" ADD VALUE 'AUDITOR'`);
        await c.query('DROP INDEX "memberships_tenant_id_idx"');
        await c.query('ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_tenant_id_fkey"');
        await c.query('CREATE TABLE "stray" (id INT PRIMARY KEY)');
      });
      const problems = await problemsIn(drifted.url);
      const expected = [
        'venues.surprise: column not in model Venue',
        'Tenant.name (tenants.name): nullable=YES, schema says required=true',
        'Instrument.tickSize (instruments.tick_size): numeric(20,8), schema says (38,18)',
        'Instrument.status (instruments.status): database default none, schema has one',
        'enum Role: database has [OWNER,ADMIN,TRADER,VIEWER,AUDITOR], schema [OWNER,ADMIN,TRADER,VIEWER]',
        'index memberships:normal:tenant_id is in the schema but not in the database',
        'foreign key api_keys(tenant_id) -> tenants(id) on delete Cascade is in the schema but not in the database',
        'table stray exists but no model maps to it',
      ];
      expect([...problems].sort()).toEqual(expect.arrayContaining(expected));
      // Nothing but the drift is reported (the stray table's own primary key shows up as an index).
      expect(problems.filter((p) => !expected.includes(p))).toEqual([
        'index stray:id:id is in the database but not in the schema',
      ]);
    } finally {
      await drifted.drop();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Every model round-trips through the generated client: what is written is what is read back.

type Row = Record<string, unknown>;
/** Writes rows of one model (with every field set explicitly), returns what it wrote. */
type Factory = (prisma: Db) => Promise<Row[]>;

const at = (iso: string) => new Date(iso);
const bytes = (...b: number[]) => new Uint8Array(b);

async function someUser(prisma: Db, email = `${randomUUID()}@example.test`) {
  return prisma.user.create({ data: { email, passwordHash: '$argon2id$stub' } });
}
async function someTenant(prisma: Db) {
  return prisma.tenant.create({ data: { name: 'Parent' } });
}
async function someAccount(prisma: Db) {
  const tenant = await someTenant(prisma);
  return prisma.paperAccount.create({ data: { tenantId: tenant.id, name: `acct-${randomUUID()}` } });
}
async function someOrder(prisma: Db) {
  const account = await someAccount(prisma);
  return prisma.order.create({
    data: {
      tenantId: account.tenantId,
      accountId: account.id,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      timeInForce: 'GTC',
      quantity: new Prisma.Decimal('1'),
      price: new Prisma.Decimal('100'),
      status: 'new',
      lockedAsset: 'USDT',
    },
  });
}
async function someStrategyVersion(prisma: Db) {
  const tenant = await someTenant(prisma);
  const strategy = await prisma.strategy.create({ data: { tenantId: tenant.id, name: `s-${randomUUID()}` } });
  return prisma.strategyVersion.create({
    data: {
      strategyId: strategy.id,
      version: 1,
      wasm: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
      sha256: 'x',
      sizeBytes: 8,
      source: 'upload',
      callbacks: [],
      memoryPages: 1,
    },
    include: { strategy: true },
  });
}
async function somePosting(prisma: Db) {
  const account = await someAccount(prisma);
  return prisma.ledgerPosting.create({
    data: {
      id: `deposit:${randomUUID()}`,
      tenantId: account.tenantId,
      accountId: account.id,
      type: 'deposit',
    },
  });
}
async function someVenue(prisma: Db) {
  return prisma.venue.create({ data: { id: `v${randomUUID().slice(0, 8)}`, name: 'Parent venue' } });
}

const accountFactories = {
  async User(prisma: Db) {
    const rows = [
      {
        id: randomUUID(),
        email: 'ada@example.test',
        name: 'Ada Lovelace — ünïcødé ✓',
        passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
        emailVerifiedAt: at('2026-01-02T03:05:00.001Z'),
        sessionsRevokedAt: at('2026-01-03T00:00:00.250Z'),
        createdAt: at('2026-01-02T03:04:05.678Z'),
      },
      {
        id: randomUUID(),
        email: 'nameless@example.test',
        name: null,
        passwordHash: 'x',
        emailVerifiedAt: null,
        sessionsRevokedAt: null,
        createdAt: at('1999-12-31T23:59:59.999Z'),
      },
    ];
    for (const data of rows) await prisma.user.create({ data });
    return rows;
  },
  async AccountToken(prisma: Db) {
    const user = await someUser(prisma);
    const rows = (['VERIFY_EMAIL', 'RESET_PASSWORD'] as const).map((purpose, i) => ({
      id: randomUUID(),
      userId: user.id,
      purpose,
      hash: bytes(0x00, 0xff, 0x5c, i, ...Array.from({ length: 28 }, (_, j) => j * 7 + i)),
      expiresAt: at(`2026-04-0${i + 1}T00:00:00.001Z`),
      usedAt: i === 0 ? at('2026-03-31T12:00:00.999Z') : null,
      createdAt: at(`2026-03-3${i}T00:00:00.000Z`),
    }));
    for (const data of rows) await prisma.accountToken.create({ data });
    return rows;
  },
  async Tenant(prisma: Db) {
    const rows = tierValues().map((tier, i) => ({
      id: randomUUID(),
      name: `Tenant ${tier}`,
      tier,
      tradingHaltedAt: i === 0 ? at('2026-02-10T10:00:00.123Z') : null,
      tradingHaltedReason: i === 0 ? 'kill switch — desk review' : null,
      tradingHaltedBy: i === 0 ? 'user:ops' : null,
      limitOverrides:
        i === 2 ? { perKey: { limit: 120_000, windowSeconds: 60, burst: 5_000 }, apiKeys: 500 } : null,
      createdAt: at(`2026-02-0${i + 1}T10:00:00.001Z`),
    }));
    // A nullable JSON column is written as SQL NULL with Prisma.DbNull (plain null is refused).
    for (const row of rows) {
      await prisma.tenant.create({ data: { ...row, limitOverrides: row.limitOverrides ?? Prisma.DbNull } });
    }
    return rows;
  },
  async UsageDaily(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [0, 1].map((i) => ({
      tenantId: tenant.id,
      day: at(`2026-12-0${i + 6}T00:00:00.000Z`),
      requests: 9_007_199_254_740_993n + BigInt(i),
      orders: BigInt(i),
      backtestCandles: 525_600n,
      strategyCpuMs: 12_345n,
      alertsFired: 0n,
      storageRows: 42n,
      storageSampledAt: i === 0 ? null : at(`2026-12-0${i + 6}T12:10:00.001Z`),
      updatedAt: at(`2026-12-0${i + 6}T23:59:59.999Z`),
    }));
    for (const data of rows) await prisma.usageDaily.create({ data });
    return rows;
  },
  async UsageFlush(prisma: Db) {
    const rows = [0, 1].map((i) => ({
      id: `0b4f6c1e-2d7a-4c55-9e3b-8a1f0d2c3b4${i}:${9_007_199_254_740_991 - i}`,
      flushedAt: at(`2026-12-07T10:00:0${i}.001Z`),
    }));
    for (const data of rows) await prisma.usageFlush.create({ data });
    return rows;
  },
  async Membership(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [];
    for (const [i, role] of roleValues().entries()) {
      const user = await someUser(prisma);
      rows.push({
        id: randomUUID(),
        userId: user.id,
        tenantId: tenant.id,
        role,
        createdAt: at(`2026-03-0${i + 1}T00:00:00.000Z`),
      });
    }
    for (const data of rows) await prisma.membership.create({ data });
    return rows;
  },
  async ApiKey(prisma: Db) {
    const [tenant, user] = [await someTenant(prisma), await someUser(prisma)];
    const rows = [
      {
        id: randomUUID(),
        tenantId: tenant.id,
        createdById: user.id,
        name: 'CI bot',
        prefix: 'k1abcdef',
        // Every byte value a naive text encoding would mangle: NUL, high bytes, a quote, a backslash.
        hash: bytes(0x00, 0xff, 0x80, 0x7f, 0x27, 0x5c, ...Array.from({ length: 26 }, (_, i) => i * 9)),
        scopes: ['trade:read', 'trade:write', '', 'with,comma', 'with "quotes"', 'NULL', '{braces}', 'ünï'],
        lastUsedAt: at('2026-04-05T06:07:08.009Z'),
        expiresAt: at('2027-04-05T00:00:00.000Z'),
        revokedAt: at('2026-05-01T12:00:00.500Z'),
        createdAt: at('2026-04-01T00:00:00.000Z'),
      },
      {
        id: randomUUID(),
        tenantId: tenant.id,
        createdById: user.id,
        name: 'never used',
        prefix: 'k2abcdef',
        hash: bytes(),
        scopes: [],
        lastUsedAt: null,
        expiresAt: null,
        revokedAt: null,
        createdAt: at('2026-04-01T00:00:00.001Z'),
      },
    ];
    for (const data of rows) await prisma.apiKey.create({ data });
    return rows;
  },
  async Venue(prisma: Db) {
    const rows = [{ id: 'binance', name: 'Binance', createdAt: at('2026-01-01T00:00:00.000Z') }];
    for (const data of rows) await prisma.venue.create({ data });
    return rows;
  },
  async Instrument(prisma: Db) {
    const venue = await someVenue(prisma);
    const rows = [
      {
        id: randomUUID(),
        venueId: venue.id,
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        // All 38 digits of DECIMAL(38,18), far past what a double keeps.
        tickSize: new Prisma.Decimal('12345678901234567890.123456789012345678'),
        lotSize: new Prisma.Decimal('0.000000000000000001'),
        minNotional: new Prisma.Decimal('-5.5'),
        status: 'halted',
        updatedAt: at('2026-06-07T08:09:10.111Z'),
      },
    ];
    for (const data of rows) await prisma.instrument.create({ data });
    return rows;
  },
};

const factories: Record<Prisma.ModelName, Factory> = {
  ...accountFactories,
  async BackfillJob(prisma: Db) {
    const rows = [
      {
        id: randomUUID(),
        venue: 'binance',
        symbol: 'BTC-USDT',
        kind: 'candles',
        interval: '1m',
        fromTime: at('2024-01-01T00:00:00.000Z'),
        toTime: at('2024-04-01T00:00:00.000Z'),
        cursor: at('2024-02-10T13:37:00.000Z'),
        status: 'running',
        progressBp: 4_321,
        // Past 2^53: a number column would round it.
        candlesWritten: 9_007_199_254_740_993n,
        requests: 2_147_483_647,
        throttled: 3,
        error: null,
        createdBy: 'system',
        createdAt: at('2026-12-08T00:00:00.001Z'),
        updatedAt: at('2026-12-08T00:00:01.999Z'),
        finishedAt: null,
        completeFrom: null,
      },
      {
        id: randomUUID(),
        venue: 'okx',
        symbol: 'ETH-USDT',
        kind: 'trades',
        interval: '1d',
        fromTime: at('2025-01-01T00:00:00.000Z'),
        toTime: at('2025-01-02T00:00:00.000Z'),
        cursor: at('2025-01-02T00:00:00.000Z'),
        status: 'failed',
        progressBp: 10_000,
        candlesWritten: 0n,
        requests: 0,
        throttled: 0,
        error: 'The venue answered HTTP 503 — "quoted", ünï',
        createdBy: randomUUID(),
        createdAt: at('2026-12-08T00:00:02.000Z'),
        updatedAt: at('2026-12-08T00:00:03.000Z'),
        finishedAt: at('2026-12-08T00:00:03.000Z'),
        completeFrom: at('2025-01-01T23:59:00.123Z'),
      },
    ];
    for (const data of rows) await prisma.backfillJob.create({ data });
    return rows;
  },
  async PaperAccount(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [
      {
        id: randomUUID(),
        tenantId: tenant.id,
        name: 'Momentum — BTC',
        quoteCurrency: 'USDT',
        riskLimits: { maxOrderNotional: '25000.5', maxOpenOrders: 50, nested: { a: [1, 'x'] } },
        haltedAt: at('2026-07-01T00:00:00.001Z'),
        haltedReason: 'daily loss',
        haltedBy: 'key:risk-bot',
        createdAt: at('2026-06-30T23:59:59.999Z'),
      },
      {
        id: randomUUID(),
        tenantId: tenant.id,
        name: 'plain',
        quoteCurrency: 'USDC',
        riskLimits: {},
        haltedAt: null,
        haltedReason: null,
        haltedBy: null,
        createdAt: at('2026-06-30T00:00:00.000Z'),
      },
    ];
    for (const data of rows) await prisma.paperAccount.create({ data });
    return rows;
  },
  async Order(prisma: Db) {
    const account = await someAccount(prisma);
    const rows = orderStatusValues().map((status, i) => ({
      id: randomUUID(),
      tenantId: account.tenantId,
      accountId: account.id,
      clientOrderId: i === 0 ? null : `client-${i}`,
      venue: 'okx',
      symbol: 'ETH-USDT',
      side: i % 2 ? ('sell' as const) : ('buy' as const),
      type: orderTypeValues()[i % 4] as OrderType,
      timeInForce: timeInForceValues()[i % 3] as TimeInForce,
      postOnly: i === 1,
      quantity: new Prisma.Decimal('12345678901234567890.123456789012345678'),
      price: i === 0 ? null : new Prisma.Decimal('0.000000000000000001'),
      stopPrice: i === 2 ? new Prisma.Decimal('3000.25') : null,
      status,
      filledQuantity: new Prisma.Decimal('0.5'),
      filledQuote: new Prisma.Decimal('1500.123456789012345678'),
      lockedAmount: new Prisma.Decimal('0'),
      lockedAsset: 'USDT',
      reason: i === 4 ? 'RISK_MAX_ORDER_NOTIONAL' : null,
      createdAt: at(`2026-08-0${i + 1}T00:00:00.000Z`),
      updatedAt: at(`2026-08-0${i + 1}T00:00:01.000Z`),
    }));
    for (const data of rows) await prisma.order.create({ data });
    return rows;
  },
  async Fill(prisma: Db) {
    const order = await someOrder(prisma);
    const rows = liquidityValues().map((liquidity, i) => ({
      id: `${order.id}:${i + 1}`,
      orderId: order.id,
      accountId: order.accountId,
      tenantId: order.tenantId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: i % 2 ? ('sell' as const) : ('buy' as const),
      price: new Prisma.Decimal('64000.12'),
      quantity: new Prisma.Decimal('0.000000000000000001'),
      quote: new Prisma.Decimal('0.000000000000064'),
      fee: new Prisma.Decimal('0.000000000000000001'),
      feeAsset: 'USDT',
      liquidity,
      time: at(`2026-09-0${i + 1}T12:00:00.250Z`),
    }));
    for (const data of rows) await prisma.fill.create({ data });
    return rows;
  },
  async LedgerPosting(prisma: Db) {
    const order = await someOrder(prisma);
    const rows = ledgerPostingTypeValues().map((type, i) => ({
      id: `${type}:${randomUUID()}`,
      tenantId: order.tenantId,
      accountId: order.accountId,
      type,
      orderId: i % 2 ? order.id : null,
      fillId: i % 2 ? `${order.id}:${i}` : null,
      sequence: BigInt(Date.now()) * 1000n + BigInt(i),
      detail: i % 2 ? { order: { seq: i, notionalCap: '12345678901234567890' }, fill: null } : {},
      createdAt: at(`2026-10-0${i + 1}T00:00:00.000Z`),
    }));
    for (const data of rows) await prisma.ledgerPosting.create({ data });
    return rows;
  },
  async LedgerEntry(prisma: Db) {
    const posting = await somePosting(prisma);
    const base = BigInt(Date.now()) * 1000n;
    const rows = ledgerPostingTypeValues().flatMap((type, i) => [
      {
        id: base + BigInt(2 * i + 1),
        postingId: posting.id,
        type,
        ledgerAccount: `acct:${posting.accountId}:free`,
        asset: 'USDT',
        amount: new Prisma.Decimal('10000.000000000000000001'),
      },
      {
        id: base + BigInt(2 * i + 2),
        postingId: posting.id,
        type,
        ledgerAccount: 'external',
        asset: 'USDT',
        amount: new Prisma.Decimal('-10000.000000000000000001'),
      },
    ]);
    for (const data of rows) await prisma.ledgerEntry.create({ data });
    return rows;
  },
  async Balance(prisma: Db) {
    const account = await someAccount(prisma);
    const rows = [
      {
        accountId: account.id,
        asset: 'BTC',
        free: new Prisma.Decimal('0.000000000000000001'),
        locked: new Prisma.Decimal('0'),
        updatedAt: at('2026-11-01T00:00:00.000Z'),
      },
      {
        accountId: account.id,
        asset: 'USDT',
        free: new Prisma.Decimal('99999999999999999999.999999999999999999'),
        locked: new Prisma.Decimal('1.5'),
        updatedAt: at('2026-11-01T00:00:00.001Z'),
      },
    ];
    for (const data of rows) await prisma.balance.create({ data });
    return rows;
  },
  async Strategy(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [
      {
        id: randomUUID(),
        tenantId: tenant.id,
        name: 'SMA crossover — 1m',
        description: 'golden cross in, death cross out',
        defaultParams: { fast: 10, slow: 30.5, quantity: 0.001 },
        createdAt: at('2026-11-20T00:00:00.001Z'),
      },
      {
        id: randomUUID(),
        tenantId: tenant.id,
        name: 'plain',
        description: '',
        defaultParams: {},
        createdAt: at('2026-11-20T00:00:00.000Z'),
      },
    ];
    for (const data of rows) await prisma.strategy.create({ data });
    return rows;
  },
  async StrategyVersion(prisma: Db) {
    const parent = await someStrategyVersion(prisma);
    const rows = [2, 3].map((version) => ({
      id: randomUUID(),
      strategyId: parent.strategyId,
      version,
      // Every byte value, so bytea is proven binary-safe.
      wasm: new Uint8Array(Array.from({ length: 256 }, (_, i) => i)),
      sha256: 'a'.repeat(64),
      sizeBytes: 256,
      source: version === 2 ? 'upload' : 'example:sma-crossover',
      callbacks: version === 2 ? [] : ['qt_on_fill', 'qt_on_timer'],
      memoryPages: 256,
      createdAt: at(`2026-11-2${version}T00:00:00.000Z`),
    }));
    for (const data of rows) await prisma.strategyVersion.create({ data });
    return rows;
  },
  async StrategyVersionSource(prisma: Db) {
    const rows = [];
    for (const code of [
      'export * from "@qt/strategy-sdk/exports";\n// é ✓ multi-byte text',
      'x'.repeat(262_144),
    ]) {
      const version = await someStrategyVersion(prisma);
      rows.push({ versionId: version.id, code, createdAt: at('2026-12-07T00:00:00.000Z') });
    }
    for (const data of rows) await prisma.strategyVersionSource.create({ data });
    return rows;
  },
  async StrategyDeployment(prisma: Db) {
    const version = await someStrategyVersion(prisma);
    const listing = await someListing(prisma);
    const account = await prisma.paperAccount.create({
      data: { tenantId: version.strategy.tenantId, name: `acct-${randomUUID()}` },
    });
    const rows = deploymentStateValues().map((state, i) => ({
      id: randomUUID(),
      tenantId: account.tenantId,
      strategyId: version.strategyId,
      versionId: version.id,
      accountId: account.id,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1m',
      params: { fast: i, slow: 30 },
      state,
      reason: state === 'failed' ? 'TIME_BUDGET_EXCEEDED: qt_on_candle ran past 50 ms' : null,
      heldBy: i % 2 === 0 ? `engine-${i}.example:${randomUUID()}` : null,
      crashStrikes: i,
      listingId: i === 1 ? listing.id : null,
      createdAt: at(`2026-11-2${i}T00:00:00.000Z`),
      updatedAt: at(`2026-11-2${i}T00:00:01.000Z`),
    }));
    for (const data of rows) await prisma.strategyDeployment.create({ data });
    return rows;
  },
  async Backtest(prisma: Db) {
    const version = await someStrategyVersion(prisma);
    const rows = backtestStatusValues().map((status, i) => ({
      id: randomUUID(),
      tenantId: version.strategy.tenantId,
      strategyId: version.strategyId,
      versionId: version.id,
      spec: { interval: '1m', from: 0, to: 60_000 * (i + 1) },
      status,
      progress: i / 4,
      reason: status === 'failed' ? 'TRAP: unreachable' : null,
      metrics: status === 'completed' ? { sharpe: 1.25, fees: '0.000000000000000001' } : null,
      result: status === 'completed' ? { equity: [[0, 10000]] } : null,
      createdAt: at(`2026-11-1${i}T00:00:00.000Z`),
      startedAt: status === 'queued' ? null : at(`2026-11-1${i}T00:00:00.500Z`),
      finishedAt: i >= 2 ? at(`2026-11-1${i}T00:00:09.999Z`) : null,
      purpose: i % 2 === 0 ? 'user' : 'verification',
    }));
    // A nullable JSON column is written as SQL NULL with Prisma.DbNull (plain null is refused).
    for (const row of rows) {
      const data = { ...row, metrics: row.metrics ?? Prisma.DbNull, result: row.result ?? Prisma.DbNull };
      await prisma.backtest.create({ data });
    }
    return rows;
  },
  async Alert(prisma: Db) {
    const tenant = await someTenant(prisma);
    const states = enumValues('AlertState') as AlertState[];
    const rows = states.map((state, i) => ({
      id: randomUUID(),
      tenantId: tenant.id,
      name: `BTC breakout ${i} — ≥ 100k`,
      rule: {
        condition: { kind: 'price', op: 'crossesUp', value: '100000.000000000000000001' },
        n: [i, 'x'],
      },
      channels:
        i === 0
          ? []
          : [{ kind: 'webhook', id: 'hook', url: 'https://example.test/h', secret: 's'.repeat(16) }],
      state,
      createdAt: at(`2026-12-0${i + 1}T00:00:00.001Z`),
      updatedAt: at(`2026-12-0${i + 1}T00:00:01.999Z`),
    }));
    for (const data of rows) await prisma.alert.create({ data });
    return rows;
  },
  async AlertFiring(prisma: Db) {
    const alert = await someAlert(prisma);
    const rows = [
      {
        id: `${alert.id}:t:123456789`,
        alertId: alert.id,
        tenantId: alert.tenantId,
        payload: { message: 'BTC at 100000.5', price: '100000.5', values: {} },
        firedAt: at('2026-12-07T09:00:00.123Z'),
        readAt: at('2026-12-07T09:01:00.000Z'),
        createdAt: at('2026-12-07T09:00:00.200Z'),
      },
      {
        id: `${alert.id}:b:1m:1733562000000`,
        alertId: alert.id,
        tenantId: alert.tenantId,
        payload: {},
        firedAt: at('2026-12-07T09:01:00.000Z'),
        readAt: null,
        createdAt: at('2026-12-07T09:01:00.001Z'),
      },
    ];
    for (const data of rows) await prisma.alertFiring.create({ data });
    return rows;
  },
  async AlertDelivery(prisma: Db) {
    const alert = await someAlert(prisma);
    const firing = await prisma.alertFiring.create({
      data: {
        id: `${alert.id}:e:gap-1`,
        alertId: alert.id,
        tenantId: alert.tenantId,
        payload: {},
        firedAt: new Date(),
      },
    });
    const statuses = enumValues('AlertDeliveryStatus') as AlertDeliveryStatus[];
    const rows = statuses.map((status, i) => ({
      firingId: firing.id,
      channelId: `ch-${i}`,
      tenantId: alert.tenantId,
      status,
      attempts: i * 3,
      lastError: status === 'dead' ? 'receiver answered 410' : null,
      reason: status === 'dead' ? 'rejected' : null,
      claimedBy: status === 'pending' ? 'engine-a' : null,
      claimedUntil: status === 'pending' ? at('2026-12-07T09:05:00.000Z') : null,
      createdAt: at(`2026-12-07T09:0${i}:00.000Z`),
      updatedAt: at(`2026-12-07T09:0${i}:30.000Z`),
    }));
    for (const data of rows) await prisma.alertDelivery.create({ data });
    return rows;
  },
  async AlertEvaluatorSnapshot(prisma: Db) {
    const rows = [
      {
        evaluator: `engine-${randomUUID()}`,
        state: { version: 1, markets: [['binance', 'BTC-USDT', '100000.5']] },
        positions: { bus: 'nats', epoch: null, streams: { MARKET_TRADES: 9_007_199_254_740_991 } },
        updatedAt: at('2026-12-07T09:00:00.000Z'),
      },
    ];
    for (const data of rows) await prisma.alertEvaluatorSnapshot.create({ data });
    return rows;
  },
  async BillingCustomer(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [
      {
        tenantId: tenant.id,
        stripeCustomerId: `cus_${randomUUID()}`,
        createdAt: at('2026-12-08T00:00:00.001Z'),
      },
    ];
    for (const data of rows) await prisma.billingCustomer.create({ data });
    return rows;
  },
  async StripeEvent(prisma: Db) {
    const rows = ['applied', 'ignored'].map((outcome, i) => ({
      id: `evt_${randomUUID()}`,
      type: i === 0 ? 'customer.subscription.updated' : 'payout.paid',
      stripeCreated: at(`2026-12-08T00:00:0${i}.000Z`),
      outcome,
      receivedAt: at(`2026-12-08T00:00:0${i}.500Z`),
    }));
    for (const data of rows) await prisma.stripeEvent.create({ data });
    return rows;
  },
  async MarketplaceSeller(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [
      {
        tenantId: tenant.id,
        stripeAccountId: `acct_${randomUUID()}`,
        chargesEnabled: true,
        payoutsEnabled: false,
        detailsSubmitted: true,
        createdAt: at('2026-12-08T00:00:00.000Z'),
        updatedAt: at('2026-12-08T00:00:01.000Z'),
      },
    ];
    for (const data of rows) await prisma.marketplaceSeller.create({ data });
    return rows;
  },
  async MarketplaceListing(prisma: Db) {
    const version = await someStrategyVersion(prisma);
    const backtest = await prisma.backtest.create({
      data: {
        tenantId: version.strategy.tenantId,
        strategyId: version.strategyId,
        versionId: version.id,
        spec: {},
        status: 'completed',
        purpose: 'verification',
      },
    });
    const deployment = await someDeploymentOf(prisma, version);
    const rows = [
      {
        id: randomUUID(),
        sellerTenantId: version.strategy.tenantId,
        strategyId: version.strategyId,
        versionId: version.id,
        moduleSha256: 'f'.repeat(64),
        moduleUploadedAt: at('2026-12-07T12:00:00.000Z'),
        title: 'Momentum — BTC ≥ 100k',
        summary: 'Trend following',
        descriptionMd: '# Hi\n<script>x</script>',
        descriptionHtml: '<h1>Hi</h1>',
        tags: ['trend', 'btc'],
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        markets: ['binance:BTC-USDT'],
        intervals: ['1m', '1h'],
        tunableParams: [{ name: 'fast', min: 2, max: 50, default: 10 }],
        defaultParams: { fast: 10, slow: 30 },
        priceCents: 1_999,
        currency: 'usd',
        billingInterval: 'month',
        trialDays: 7,
        stripeProductId: `prod_${randomUUID()}`,
        stripePriceId: `price_${randomUUID()}`,
        status: 'published',
        statusReason: null,
        verificationBacktestId: backtest.id,
        verifiedAt: at('2026-12-08T01:00:00.000Z'),
        statReturn: 0.125,
        statMaxDrawdown: 0.0625,
        statSharpe: 1.5,
        subscribers: 3,
        trackDeploymentId: deployment.id,
        trackSince: at('2026-12-08T02:00:00.000Z'),
        trackHistory: [
          {
            deploymentId: deployment.id,
            since: '2026-12-07T00:00:00.000Z',
            until: '2026-12-08T01:00:00.000Z',
            endedReason: 'another deployment',
          },
        ],
        trackEndReason: null,
        createdAt: at('2026-12-08T00:00:00.000Z'),
        updatedAt: at('2026-12-08T03:00:00.000Z'),
      },
      {
        id: randomUUID(),
        sellerTenantId: version.strategy.tenantId,
        strategyId: version.strategyId,
        versionId: version.id,
        moduleSha256: '0'.repeat(64),
        moduleUploadedAt: null,
        title: 'Free one',
        summary: '',
        descriptionMd: '',
        descriptionHtml: '',
        tags: [],
        instruments: [],
        markets: [],
        intervals: ['1s'],
        tunableParams: [],
        defaultParams: {},
        priceCents: 0,
        currency: 'usd',
        billingInterval: null,
        trialDays: 0,
        stripeProductId: null,
        stripePriceId: null,
        status: 'verification_failed',
        statusReason: 'BACKTEST_NO_DATA: 3 candles',
        verificationBacktestId: null,
        verifiedAt: null,
        statReturn: null,
        statMaxDrawdown: null,
        statSharpe: null,
        subscribers: 0,
        trackDeploymentId: null,
        trackSince: null,
        trackHistory: [],
        trackEndReason: 'deployment not running',
        createdAt: at('2026-12-08T00:00:00.000Z'),
        updatedAt: at('2026-12-08T00:00:00.000Z'),
      },
    ];
    for (const data of rows) await prisma.marketplaceListing.create({ data });
    return rows;
  },
  async MarketplaceTrackPoint(prisma: Db) {
    const listing = await someListing(prisma);
    const rows = [
      {
        listingId: listing.id,
        at: at('2026-12-08T00:00:00.000Z'),
        equity: new Prisma.Decimal('10000.000000000000000001'),
      },
      { listingId: listing.id, at: at('2026-12-08T00:01:00.000Z'), equity: new Prisma.Decimal('-1.5') },
    ];
    for (const data of rows) await prisma.marketplaceTrackPoint.create({ data });
    return rows;
  },
  async BillingSubscription(prisma: Db) {
    const listing = await someListing(prisma);
    const tenant = await someTenant(prisma);
    const rows = [
      {
        stripeSubscriptionId: `sub_${randomUUID()}`,
        tenantId: tenant.id,
        kind: 'plan',
        planTier: 'PRO' as Tier,
        listingId: null,
        stripeCustomerId: 'cus_1',
        stripePriceId: 'price_1',
        billingInterval: 'month',
        amountCents: 4_900,
        currency: 'usd',
        status: 'past_due',
        access: 'grace',
        cancelAtPeriodEnd: true,
        currentPeriodStart: at('2026-12-01T00:00:00.000Z'),
        currentPeriodEnd: at('2027-01-01T00:00:00.000Z'),
        trialEnd: null,
        canceledAt: null,
        endedAt: null,
        applicationFeePercent: null,
        updatedFrom: 'evt_1',
        createdAt: at('2026-12-01T00:00:00.000Z'),
        updatedAt: at('2026-12-02T00:00:00.000Z'),
      },
      {
        stripeSubscriptionId: `sub_${randomUUID()}`,
        tenantId: tenant.id,
        kind: 'listing',
        planTier: null,
        listingId: listing.id,
        stripeCustomerId: 'cus_1',
        stripePriceId: 'price_2',
        billingInterval: 'year',
        amountCents: 19_990,
        currency: 'usd',
        status: 'canceled',
        access: 'ended',
        cancelAtPeriodEnd: false,
        currentPeriodStart: null,
        currentPeriodEnd: null,
        trialEnd: at('2026-12-08T00:00:00.000Z'),
        canceledAt: at('2026-12-09T00:00:00.000Z'),
        endedAt: at('2026-12-09T00:00:00.000Z'),
        applicationFeePercent: new Prisma.Decimal('20.5'),
        updatedFrom: 'reconcile',
        createdAt: at('2026-12-01T00:00:00.000Z'),
        updatedAt: at('2026-12-02T00:00:00.000Z'),
      },
    ];
    // Every Tier value round-trips (billing itself only writes paid tiers).
    const first = rows[0] as (typeof rows)[number];
    for (const planTier of ['ENTERPRISE', 'FREE'] as Tier[])
      rows.push({ ...first, stripeSubscriptionId: `sub_${randomUUID()}`, planTier } as (typeof rows)[number]);
    for (const data of rows) await prisma.billingSubscription.create({ data });
    return rows;
  },
  async MarketplaceEntitlement(prisma: Db) {
    const listing = await someListing(prisma);
    const a = await someTenant(prisma);
    const b = await someTenant(prisma);
    const rows = [
      {
        tenantId: a.id,
        listingId: listing.id,
        stripeSubscriptionId: `sub_${randomUUID()}`,
        status: 'active',
        accessUntil: at('2027-01-01T00:00:00.000Z'),
        createdAt: at('2026-12-08T00:00:00.000Z'),
        updatedAt: at('2026-12-08T00:00:01.000Z'),
      },
      {
        tenantId: b.id,
        listingId: listing.id,
        stripeSubscriptionId: null,
        status: 'ended',
        accessUntil: null,
        createdAt: at('2026-12-08T00:00:00.000Z'),
        updatedAt: at('2026-12-08T00:00:01.000Z'),
      },
    ];
    for (const data of rows) await prisma.marketplaceEntitlement.create({ data });
    return rows;
  },
  async MarketplaceReview(prisma: Db) {
    const listing = await someListing(prisma);
    const tenant = await someTenant(prisma);
    const rows = [
      {
        listingId: listing.id,
        tenantId: tenant.id,
        userId: randomUUID(),
        rating: 5,
        body: 'Works — as verified ✓',
        createdAt: at('2026-12-08T00:00:00.000Z'),
        updatedAt: at('2026-12-08T00:00:01.000Z'),
      },
    ];
    for (const data of rows) await prisma.marketplaceReview.create({ data });
    return rows;
  },
  async WatchlistEntry(prisma: Db) {
    const [tenant, user] = [await someTenant(prisma), await someUser(prisma)];
    const rows = [
      {
        tenantId: tenant.id,
        userId: user.id,
        venue: 'binance',
        symbol: 'BTC-USDT',
        position: 0,
        createdAt: at('2026-12-08T00:00:00.001Z'),
      },
      {
        tenantId: tenant.id,
        userId: user.id,
        venue: 'okx',
        symbol: 'A1B2C3D4E5F6G7H8I9J0-USDT',
        position: 2_147_483_647,
        createdAt: at('1999-12-31T23:59:59.999Z'),
      },
    ];
    for (const data of rows) await prisma.watchlistEntry.create({ data });
    return rows;
  },
  async FollowedMarket(prisma: Db) {
    const tenant = await someTenant(prisma);
    const rows = [
      { tenantId: tenant.id, venue: 'bybit', symbol: 'LINK-USDT', createdAt: at('2026-12-08T00:00:00.999Z') },
      {
        tenantId: tenant.id,
        venue: 'binance',
        symbol: 'LINK-USDT',
        createdAt: at('2026-12-08T00:00:01.000Z'),
      },
    ];
    for (const data of rows) await prisma.followedMarket.create({ data });
    return rows;
  },
};

async function someListing(prisma: Db) {
  const version = await someStrategyVersion(prisma);
  return prisma.marketplaceListing.create({
    data: {
      sellerTenantId: version.strategy.tenantId,
      strategyId: version.strategyId,
      versionId: version.id,
      moduleSha256: 'x',
      title: 'parent',
      instruments: [],
      intervals: ['1m'],
    },
  });
}

async function someDeploymentOf(prisma: Db, version: Awaited<ReturnType<typeof someStrategyVersion>>) {
  const account = await prisma.paperAccount.create({
    data: { tenantId: version.strategy.tenantId, name: `acct-${randomUUID()}` },
  });
  return prisma.strategyDeployment.create({
    data: {
      tenantId: account.tenantId,
      strategyId: version.strategyId,
      versionId: version.id,
      accountId: account.id,
      instruments: [],
      interval: '1m',
      state: 'running',
    },
  });
}

async function someAlert(prisma: Db) {
  const tenant = await someTenant(prisma);
  return prisma.alert.create({
    data: { tenantId: tenant.id, name: 'parent', rule: {}, channels: [] },
  });
}

function deploymentStateValues(): DeploymentState[] {
  return enumValues('DeploymentState') as DeploymentState[];
}
function backtestStatusValues(): BacktestStatus[] {
  return enumValues('BacktestStatus') as BacktestStatus[];
}
function orderStatusValues(): OrderStatus[] {
  return enumValues('OrderStatus') as OrderStatus[];
}
function orderTypeValues(): OrderType[] {
  return enumValues('OrderType') as OrderType[];
}
function timeInForceValues(): TimeInForce[] {
  return enumValues('TimeInForce') as TimeInForce[];
}
function liquidityValues(): Liquidity[] {
  return enumValues('Liquidity') as Liquidity[];
}
function ledgerPostingTypeValues(): LedgerPostingType[] {
  return enumValues('LedgerPostingType') as LedgerPostingType[];
}

function tierValues(): Tier[] {
  return enumValues('Tier') as Tier[];
}
function roleValues(): Role[] {
  return enumValues('Role') as Role[];
}
function enumValues(name: string): string[] {
  const e = dmmf.enums.find((x) => x.name === name);
  if (!e) throw new Error(`enum ${name} is not in schema.prisma`);
  return e.values.map((v) => v.name);
}

const delegateName = (model: string) => `${model[0]?.toLowerCase()}${model.slice(1)}`;

async function readBack(prisma: Db, model: DmmfModel, row: Row): Promise<Row | null> {
  const id = dmmf.indexes.find((i) => i.model === model.name && i.type === 'id');
  if (!id || id.fields.length === 0) throw new Error(`model ${model.name} has no @id`);
  const delegate = (prisma as unknown as Record<string, { findUnique(args: unknown): Promise<Row | null> }>)[
    delegateName(model.name)
  ];
  if (!delegate) throw new Error(`the generated client has no delegate for model ${model.name}`);
  const names = id.fields.map((f) => f.name);
  // A compound @@id is addressed as `a_b: { a, b }` by the generated client.
  const where =
    names.length === 1
      ? { [names[0] as string]: row[names[0] as string] }
      : { [names.join('_')]: Object.fromEntries(names.map((n) => [n, row[n]])) };
  return delegate.findUnique({ where });
}

/** Comparable form: Decimal by value, bytes as hex, dates as ISO strings (all else as is). */
function comparable(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (Prisma.Decimal.isDecimal(v)) out[k] = { decimal: new Prisma.Decimal(v).toFixed() };
    else if (v instanceof Uint8Array) out[k] = { bytes: Buffer.from(v).toString('hex') };
    else if (v instanceof Date) out[k] = { date: v.toISOString() };
    else out[k] = v;
  }
  return out;
}

describe('every model round-trips through the generated Prisma client', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('there is a factory for every model of schema.prisma, and no other', () => {
    expect(Object.keys(factories).sort()).toEqual(dmmf.models.map((m) => m.name).sort());
  });

  it.each(dmmf.models.map((m) => [m.name, m] as const))(
    '%s: what is written is read back, field for field',
    async (_, model) => {
      const factory = factories[model.name as Prisma.ModelName];
      expect(factory, `no factory for model ${model.name}: add one to this file`).toBeTypeOf('function');
      const written = await factory(db.prisma);
      expect(written.length).toBeGreaterThan(0);

      const scalars = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
      const scalarNames = scalars.map((f) => f.name).sort();
      for (const row of written) {
        // Every scalar field is written explicitly, so a new field needs a value here.
        expect(Object.keys(row).sort(), `${model.name} factory must set every field`).toEqual(scalarNames);
        const read = await readBack(db.prisma, model, row);
        expect(read, `${model.name} row was not found`).not.toBeNull();
        expect(comparable(read as Row)).toStrictEqual(comparable(row));
      }

      // Optional fields are tried both with a value and as null; enum fields with every value.
      for (const f of scalars) {
        const values = written.map((r) => r[f.name]);
        expect(
          values.some((v) => v !== null),
          `${model.name}.${f.name} is never written with a value`,
        ).toBe(true);
        if (!f.isRequired) expect(values, `${model.name}.${f.name} is never written as null`).toContain(null);
        if (f.kind === 'enum')
          expect(
            new Set(values.filter((v) => v !== null)),
            `${model.name}.${f.name}: not every value`,
          ).toEqual(new Set(enumValues(f.type)));
      }
    },
  );

  it('the column names the client uses are the ones the migrations created (raw SQL sees the same data)', async () => {
    const venue = await db.prisma.venue.create({
      data: { id: 'okx', name: 'OKX', createdAt: at('2026-07-01T00:00:00.123Z') },
    });
    const model = dmmf.models.find((m) => m.name === 'Venue') as DmmfModel;
    const cols = model.fields.filter((f) => f.kind === 'scalar').map(columnOf);
    const rows = await withClient(
      db.url,
      async (c) =>
        (await c.query(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM venues WHERE id = 'okx'`)).rows,
    );
    expect(rows).toEqual([{ id: venue.id, name: 'OKX', created_at: at('2026-07-01T00:00:00.123Z') }]);
  });
});
