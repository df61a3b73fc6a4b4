import { describe, expect, it } from 'vitest';
import { copyField, klinesCopyText, tradesCopyText } from '../../src/timeseries/copy-text.ts';
import {
  createPartitionSql,
  defaultPartitionPolicy,
  partitionFor,
  periodStart,
  planPartitions,
} from '../../src/timeseries/partitions.ts';
import { klinesTable, tradesTable } from '../../src/timeseries/tables.ts';
import { DAY, DAY0, kline, trade } from './fixtures.ts';

const day0 = DAY0 / DAY; // Wednesday 2026-11-25

describe('partition schedule', () => {
  it('daily partitions start at UTC midnight; weekly ones on Monday, before and after the epoch', () => {
    expect(partitionFor(tradesTable, day0)).toEqual({
      table: 'market_trades',
      name: 'market_trades_p20261125',
      fromDay: day0,
      toDay: day0 + 1,
    });
    expect(partitionFor(klinesTable, day0).name).toBe('market_klines_p20261123');
    expect(partitionFor(klinesTable, day0 - 2).name).toBe('market_klines_p20261123');
    expect(partitionFor(klinesTable, day0 - 3).name).toBe('market_klines_p20261116');
    expect(periodStart(0, 7)).toBe(-3); // 1970-01-01 was a Thursday: its week began on Monday 1969-12-29
    expect(periodStart(4, 7)).toBe(4);
  });

  it('plans yesterday through today + premakeDays, skipping what exists', () => {
    const plan = planPartitions(tradesTable, DAY0 + 5, defaultPartitionPolicy, ['market_trades_p20261125']);
    expect(plan.create.map((p) => p.name)).toEqual([
      'market_trades_p20261124',
      'market_trades_p20261126',
      'market_trades_p20261127',
      'market_trades_p20261128',
    ]);
    expect(plan.drop).toEqual([]);
    expect(plan.purgeBefore).toBe('2026-10-26T00:00:00.000Z');
  });

  it('drops only partitions wholly past retention, never the default one or foreign tables', () => {
    const existing = [
      'market_trades_default',
      'market_trades_p20261025',
      'market_trades_p20261026',
      'market_trades_p20261027',
      'market_trades_archive',
    ];
    const plan = planPartitions(tradesTable, DAY0 + 12 * 3_600_000, defaultPartitionPolicy, existing);
    expect(plan.drop).toEqual(['market_trades_p20261025']);
    const weekly = planPartitions(klinesTable, DAY0, { ...defaultPartitionPolicy }, [
      'market_klines_p20241118',
      'market_klines_p20241125',
    ]);
    // 365 days before 2026-11-25 is 2025-11-25 (a Tuesday): its week starts 2025-11-24, kept.
    expect(weekly.drop).toEqual(['market_klines_p20241118', 'market_klines_p20241125']);
    expect(weekly.purgeBefore).toBe('2025-11-24T00:00:00.000Z');
    const forever = planPartitions(
      tradesTable,
      DAY0,
      {
        premakeDays: 0,
        retentionDays: { market_trades: null, market_klines: null },
      },
      existing,
    );
    expect(forever).toMatchObject({ drop: [], purgeBefore: null });
  });

  it('gives default-partition rows a partition inside retention and the horizon only', () => {
    const plan = planPartitions(
      tradesTable,
      DAY0,
      { ...defaultPartitionPolicy, premakeDays: 1 },
      [],
      [
        day0 - 10, // backfill: gets a partition
        day0 - 31, // past retention: purged instead
        day0 + 1, // inside the horizon anyway
        day0 + 90, // a bad clock: stays in the default partition
      ],
    );
    expect(plan.create.map((p) => p.name)).toEqual([
      'market_trades_p20261115',
      'market_trades_p20261124',
      'market_trades_p20261125',
      'market_trades_p20261126',
    ]);
  });

  it('creates a partition as LIKE + move out of the default partition + ATTACH', () => {
    expect(createPartitionSql(tradesTable, partitionFor(tradesTable, day0))).toEqual([
      'CREATE TABLE "market_trades_p20261125" (LIKE "market_trades" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
      `WITH moved AS (DELETE FROM "market_trades_default" WHERE "exchange_time" >= '2026-11-25T00:00:00.000Z' AND "exchange_time" < '2026-11-26T00:00:00.000Z' RETURNING *) INSERT INTO "market_trades_p20261125" SELECT * FROM moved`,
      `ALTER TABLE "market_trades" ATTACH PARTITION "market_trades_p20261125" FOR VALUES FROM ('2026-11-25T00:00:00.000Z') TO ('2026-11-26T00:00:00.000Z')`,
    ]);
  });
});

describe('COPY text encoding', () => {
  it('escapes backslash, tab, newline and carriage return, and nothing else', () => {
    expect(copyField('plain-ünï ✓')).toBe('plain-ünï ✓');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField('\\.')).toBe('\\\\.'); // not the end-of-data marker
  });

  it('writes one tab-separated line per row, times as integer milliseconds', () => {
    expect(tradesCopyText([trade(1, { tradeId: 'x\ty' })])).toBe(
      `binance\tBTC-USDT\tBTCUSDT\tx\\ty\t${trade(1).price}\t${trade(1).quantity}\tsell\t${DAY0 + 37}\t${DAY0 + 42}\n`,
    );
    expect(klinesCopyText([kline(DAY0, { closed: false })])).toBe(
      `binance\tBTC-USDT\t1m\t${DAY0}\t${DAY0 + 59_999}\t64000.1\t64010.5\t63990\t64005.25\t12.5\t800000.125\t6.25\t42\tf\n`,
    );
  });

  it('refuses times and counts that are not safe integers', () => {
    expect(() => tradesCopyText([trade(1, { exchangeTime: 1.5 })])).toThrow(RangeError);
    expect(() => klinesCopyText([kline(DAY0, { tradeCount: 2 ** 53 })])).toThrow(RangeError);
  });
});
