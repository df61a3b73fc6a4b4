import { createTestDatabase, type TestDatabase, withClient } from '@qt/db/testing';
import { AppError, ManualClock, type PublishListingInput } from '@qt/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMarketplace, type MarketplaceService } from '../src/index.ts';
import { reviewerName } from '../src/listing-detail.ts';
import {
  appCode,
  RecordingBilling,
  RecordingStrategies,
  type SeededTenant,
  seedTenant,
  silentLogger,
} from './support/fakes.ts';

// Publishing bounds, the verification pass's lock and selection, out-of-sample windows, and the smaller
// review findings (issue 11 review).

const H = 3_600_000;
const DAY = 24 * H;
const UP = Date.parse('2026-09-01T00:00:00Z');
const BTC = { venue: 'binance', symbol: 'BTC-USDT' } as const;
const SOL = { venue: 'bybit', symbol: 'SOL-USDT' } as const;

let db: TestDatabase;
let clock: ManualClock;
let strategies: RecordingStrategies;
let market: MarketplaceService;
let seller: SeededTenant;
let buyer: SeededTenant;

function input(over: Partial<PublishListingInput> = {}): PublishListingInput {
  return {
    strategyId: seller.strategyId,
    title: 'Bounded',
    summary: '',
    description: '',
    tags: [],
    instruments: [BTC],
    intervals: ['1h'],
    tunableParams: [],
    defaultParams: {},
    price: { kind: 'free' },
    ...over,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  strategies = new RecordingStrategies(db.prisma);
  market = createMarketplace({
    db: db.prisma,
    clock,
    logger: silentLogger,
    billing: new RecordingBilling(),
    strategies,
  });
  seller = await seedTenant(db.prisma, 'Seller', 1);
  buyer = await seedTenant(db.prisma, 'Buyer');
  await db.prisma.strategyVersion.updateMany({ data: { createdAt: new Date(UP) } });
});

afterAll(async () => {
  await market?.close();
  await db?.drop();
});

beforeEach(async () => {
  await db.prisma.marketplaceListing.deleteMany({});
  strategies.candles.clear();
  strategies.setCandles('binance:BTC-USDT:1h', UP - 500 * H, H, 2_501);
});

describe('publishing bounds (H4)', () => {
  it('at most 3 verifying at once per tenant: TIER_LIMIT_REACHED, and the 4th is not written', async () => {
    for (let i = 0; i < 3; i++) await market.publish(seller.scope, input());
    expect(await appCode(market.publish(seller.scope, input()))).toBe('TIER_LIMIT_REACHED');
    expect(await db.prisma.marketplaceListing.count()).toBe(3);
  });

  it('per tier totals (FREE 5), counted under a per-tenant lock: concurrent publishes cannot overshoot', async () => {
    const free = { ...seller.scope, tier: 'FREE' as const };
    // Four already verified (published) ones; two more at once compete for the last place.
    for (let i = 0; i < 4; i++) {
      await market.publish(free, input());
      await db.prisma.marketplaceListing.updateMany({ data: { status: 'published' } });
    }
    const codes = await Promise.all([
      appCode(market.publish(free, input())),
      appCode(market.publish(free, input())),
    ]);
    expect(codes.sort()).toEqual(['TIER_LIMIT_REACHED', 'no error']);
    expect(await db.prisma.marketplaceListing.count()).toBe(5);
    // Failed verifications do not take a place.
    await db.prisma.marketplaceListing.updateMany({
      where: { status: 'verifying' },
      data: { status: 'verification_failed' },
    });
    expect(await appCode(market.publish(free, input()))).toBe('no error');
  });

  it('every instrument is validated at publish (unknown ones are named)', async () => {
    strategies.unknown.add('bybit:SOL-USDT');
    try {
      const err = await market
        .publish(seller.scope, input({ instruments: [BTC, SOL] }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED', details: { instruments: ['bybit:SOL-USDT'] } });
      expect(await db.prisma.marketplaceListing.count()).toBe(0);
    } finally {
      strategies.unknown.clear();
    }
  });
});

describe('verification pass', () => {
  it('runs in one engine at a time: a pass that cannot take the lock does nothing', async () => {
    const l = await market.publish(seller.scope, input());
    await withClient(db.url, async (c) => {
      await c.query('SELECT pg_advisory_lock($1::int8)', ['8083505191666760306']);
      try {
        expect(await market.finishVerifications()).toBe(0);
      } finally {
        await c.query('SELECT pg_advisory_unlock($1::int8)', ['8083505191666760306']);
      }
    });
    expect(
      (await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } })).verificationBacktestId,
    ).toBeNull();
    expect(await market.finishVerifications()).toBe(1);
  });

  it('a full backtest queue: no more starts this pass, nothing failed, started on the next pass', async () => {
    const a = await market.publish(seller.scope, input());
    const b = await market.publish(seller.scope, input());
    const real = strategies.startVerification.bind(strategies);
    let tries = 0;
    strategies.startVerification = async () => {
      tries++;
      throw new AppError('BACKTEST_QUEUE_FULL', 'queue full', { retryable: true });
    };
    try {
      expect(await market.finishVerifications()).toBe(0);
    } finally {
      strategies.startVerification = real;
    }
    // The queue is full for everyone: the second listing is not even tried (no hammering of the queue).
    expect(tries).toBe(1);
    for (const id of [a.id, b.id])
      expect(await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id } })).toMatchObject({
        status: 'verifying',
        verificationBacktestId: null,
        statusReason: null,
      });
    expect(await market.finishVerifications()).toBe(2);
  });

  it('listings waiting for candles never starve a new one (selected separately)', async () => {
    // 60 waiting listings (more than a pass's batch of 50), older than the new one.
    await db.prisma.$executeRaw`
      INSERT INTO marketplace_listings (id, seller_tenant_id, strategy_id, version_id, module_sha256, title,
        instruments, markets, intervals, status, status_reason, module_uploaded_at, created_at, updated_at)
      SELECT gen_random_uuid(), ${seller.scope.tenantId}::uuid, ${seller.strategyId}::uuid,
             ${seller.versionIds[0]}::uuid, 'x', 'waiting ' || g, '[{"venue":"okx","symbol":"ETH-USDT"}]',
             ARRAY['okx:ETH-USDT'], ARRAY['1h'], 'verifying', 'waiting for 100 more candles after upload',
             ${new Date(UP)}, ${new Date(clock.now())}, ${new Date(clock.now() - DAY)}
        FROM generate_series(1, 60) g`;
    const fresh = await db.prisma.marketplaceListing.create({
      data: {
        sellerTenantId: seller.scope.tenantId,
        strategyId: seller.strategyId,
        versionId: seller.versionIds[0] as string,
        moduleSha256: 'x',
        moduleUploadedAt: new Date(UP),
        title: 'fresh',
        instruments: [BTC],
        markets: ['binance:BTC-USDT'],
        intervals: ['1h'],
        status: 'verifying',
        createdAt: new Date(clock.now()),
        updatedAt: new Date(clock.now()),
      },
    });
    await market.finishVerifications();
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: fresh.id } });
    expect(row.verificationBacktestId).not.toBeNull();
  });

  it('out of sample: only candles after the upload count, counted inside the window', async () => {
    // 2,000 candles before the upload and 40 after: plenty stored, too few that count.
    strategies.candles.clear();
    strategies.setCandles('binance:BTC-USDT:1h', UP - 2_000 * H, H, 2_040);
    const l = await market.publish(seller.scope, input());
    await market.finishVerifications();
    let row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(row).toMatchObject({
      status: 'verifying',
      verificationBacktestId: null,
      statusReason: 'waiting for 60 more 1h candles of binance BTC-USDT after upload',
    });
    expect((await market.get(seller.scope, l.id)).listing.statusReason).toBe(row.statusReason);
    // Gaps inside the window: the stored span after the upload is 200 h, but only 99 candles are in it.
    strategies.candles.set(
      'binance:BTC-USDT:1h',
      [...Array.from({ length: 99 }, (_, i) => UP + i * H), UP + 199 * H].filter((_, i) => i !== 98),
    );
    await market.finishVerifications();
    row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(row.statusReason).toBe('waiting for 1 more 1h candles of binance BTC-USDT after upload');
    // Enough after the upload: started on exactly the data after it.
    strategies.setCandles('binance:BTC-USDT:1h', UP - 2_000 * H, H, 2_150);
    await market.finishVerifications();
    const call = strategies.calls.filter((c) => c.method === 'startVerification').at(-1);
    expect(call?.args[0]).toMatchObject({ from: UP, to: UP + 150 * H });
    row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(row).toMatchObject({ statusReason: null });
    expect(row.verificationBacktestId).not.toBeNull();
  });
});

describe('smaller findings', () => {
  it('a free subscribe re-checks the listing is still published inside its transaction (L4)', async () => {
    const l = await market.publish(seller.scope, input());
    await db.prisma.marketplaceListing.update({
      where: { id: l.id },
      data: { status: 'published', verifiedAt: new Date() },
    });
    // Unlisted between the read and the grant: simulated by a trigger-free race, the listing flips while
    // the subscribe waits for the row lock.
    await withClient(db.url, async (c) => {
      await c.query('BEGIN');
      await c.query('SELECT 1 FROM marketplace_listings WHERE id = $1 FOR UPDATE', [l.id]);
      const pending = appCode(market.subscribe(buyer.scope, l.id));
      await new Promise((r) => setTimeout(r, 300));
      await c.query(`UPDATE marketplace_listings SET status = 'unlisted' WHERE id = $1`, [l.id]);
      await c.query('COMMIT');
      expect(await pending).toBe('LISTING_NOT_AVAILABLE');
    });
    expect(await db.prisma.marketplaceEntitlement.count({ where: { listingId: l.id } })).toBe(0);
    expect((await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } })).subscribers).toBe(
      0,
    );
  });

  it('reviewers show as their first name, never their email local part (L6)', () => {
    expect(reviewerName('Ada Lovelace', 'ada.l@example.test')).toBe('Ada');
    expect(reviewerName('ada.l', 'ada.l@example.test')).toBe('Subscriber');
    expect(reviewerName('jsmith99 trading', 'jsmith99@example.test')).toBe('Subscriber');
    expect(reviewerName('me@example.test', 'me@example.test')).toBe('Subscriber');
    expect(reviewerName('', 'x@example.test')).toBe('Subscriber');
    expect(reviewerName(null, null)).toBe('Subscriber');
  });
});
