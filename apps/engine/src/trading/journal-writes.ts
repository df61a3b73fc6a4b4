import { formatAmount, type Posting, parseAccountKey } from '@qt/trading';
import type pg from 'pg';
import { postingDetail } from './posting-store.ts';

/**
 * A fill's write: ONE SQL statement (data-modifying CTEs) on `pg`, a named prepared statement: the fill
 * row, its posting, entries, balance rows and the order's new state land in one round trip, atomically
 * (a single statement is its own transaction), and not at all if the fill id is stored already. Orders,
 * releases and transfers go through `GroupCommit` (group-commit.ts), which shares the helpers here.
 *
 * Amounts travel as decimal text into numeric (never a float). The balances are updated first and only
 * the missing rows inserted, because a CHECK is evaluated on an INSERT's candidate row even when the
 * row would conflict; the CHECK (free, locked >= 0) stays the last guard and fails the whole statement.
 */

export interface OrderRowInsert {
  id: string;
  tenantId: string;
  accountId: string;
  clientOrderId: string | null;
  venue: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: string;
  timeInForce: string;
  postOnly: boolean;
  quantity: bigint;
  price: bigint | null;
  stopPrice: bigint | null;
  lockedAmount: bigint;
  lockedAsset: string;
  createdAt: number;
}

export interface FillRowInsert {
  id: string;
  orderId: string;
  accountId: string;
  tenantId: string;
  venue: string;
  symbol: string;
  side: 'buy' | 'sell';
  price: bigint;
  quantity: bigint;
  quote: bigint;
  fee: bigint;
  feeAsset: string;
  liquidity: 'maker' | 'taker';
  time: number;
}

export interface OrderRowUpdate {
  id: string;
  status: string;
  /** Null: unchanged. */
  reason: string | null;
  filledQuantity: bigint | null;
  filledQuote: bigint | null;
  lockedAmount: bigint;
  updatedAt: number;
}

/** The posting's CTEs; `$1..$16` are its parameters, `guard` a condition every row write depends on. */
function postingCtes(guard: string): string {
  return `
  p AS (
    INSERT INTO ledger_postings (id, tenant_id, account_id, type, order_id, fill_id, detail, created_at)
    SELECT $1, $2::uuid, $3::uuid, $4::"LedgerPostingType", $5::uuid, $6, $7::jsonb, $8::timestamptz
    WHERE ${guard}
    RETURNING id),
  e AS (
    INSERT INTO ledger_entries (posting_id, type, ledger_account, asset, amount)
    SELECT p.id, t.type::"LedgerPostingType", t.acct, t.asset, t.amount::numeric
    FROM p, unnest($9::text[], $10::text[], $11::text[], $12::text[]) WITH ORDINALITY AS t(type, acct, asset, amount, n)
    ORDER BY t.n),
  d AS (
    SELECT * FROM unnest($13::uuid[], $14::text[], $15::numeric[], $16::numeric[]) AS d(account_id, asset, free, locked)
    WHERE EXISTS (SELECT 1 FROM p)),
  bu AS (
    UPDATE balances b SET free = b.free + d.free, locked = b.locked + d.locked, updated_at = now()
    FROM d WHERE b.account_id = d.account_id AND b.asset = d.asset
    RETURNING b.account_id, b.asset),
  bi AS (
    INSERT INTO balances (account_id, asset, free, locked, updated_at)
    SELECT d.account_id, d.asset, d.free, d.locked, now() FROM d
    WHERE NOT EXISTS (SELECT 1 FROM bu WHERE bu.account_id = d.account_id AND bu.asset = d.asset))`;
}

/** A posting's moves of paper balances, summed per (account, asset). */
export function balanceDeltas(
  p: Posting,
): { accountId: string; asset: string; free: bigint; locked: bigint }[] {
  const deltas = new Map<string, { accountId: string; asset: string; free: bigint; locked: bigint }>();
  for (const e of p.entries) {
    if (!e.account.startsWith('paper:')) continue;
    const a = parseAccountKey(e.account);
    if (a.kind !== 'paper') continue;
    const key = `${a.accountId}|${e.asset}`;
    const d = deltas.get(key) ?? { accountId: a.accountId, asset: e.asset, free: 0n, locked: 0n };
    if (a.bucket === 'free') d.free += e.amount;
    else d.locked += e.amount;
    deltas.set(key, d);
  }
  return [...deltas.values()];
}

/** `$1..$16` of `postingCtes`. */
function postingParams(tenantId: string, p: Posting): unknown[] {
  const ds = balanceDeltas(p);
  return [
    p.id,
    tenantId,
    p.accountId,
    p.type,
    p.orderId,
    p.fillId,
    JSON.stringify(postingDetail(p)),
    new Date(p.time),
    p.entries.map((e) => e.type),
    p.entries.map((e) => e.account),
    p.entries.map((e) => e.asset),
    p.entries.map((e) => formatAmount(e.amount)),
    ds.map((d) => d.accountId),
    ds.map((d) => d.asset),
    ds.map((d) => formatAmount(d.free)),
    ds.map((d) => formatAmount(d.locked)),
  ];
}

const orderUpdateCte = (guard: string) => `
  u AS (
    UPDATE orders SET status = $17::"OrderStatus", reason = COALESCE($18, reason),
      filled_quantity = COALESCE($19::numeric, filled_quantity), filled_quote = COALESCE($20::numeric, filled_quote),
      locked_amount = $21::numeric, updated_at = $22::timestamptz
    WHERE id = $23::uuid AND ${guard}
    RETURNING id)`;

function orderUpdateParams(u: OrderRowUpdate): unknown[] {
  return [
    u.status,
    u.reason,
    u.filledQuantity === null ? null : formatAmount(u.filledQuantity),
    u.filledQuote === null ? null : formatAmount(u.filledQuote),
    formatAmount(u.lockedAmount),
    new Date(u.updatedAt),
    u.id,
  ];
}

const fillSql = `WITH f AS (
    INSERT INTO fills (id, order_id, account_id, tenant_id, venue, symbol, side, price, quantity, quote, fee,
      fee_asset, liquidity, time)
    VALUES ($24, $23::uuid, $3::uuid, $2::uuid, $25, $26, $27::"OrderSide", $28::numeric, $29::numeric,
      $30::numeric, $31::numeric, $32, $33::"Liquidity", $34::timestamptz)
    ON CONFLICT (id) DO NOTHING
    RETURNING id),${postingCtes('EXISTS (SELECT 1 FROM f)')},${orderUpdateCte('EXISTS (SELECT 1 FROM f)')}
  SELECT (SELECT count(*) FROM f)::int AS stored`;

/**
 * A fill's row, its posting and the order's new state; nothing at all if the fill's id is stored already
 * (a redelivery). Returns whether it was stored now.
 */
export async function insertFill(
  pool: pg.Pool,
  fill: FillRowInsert,
  posting: Posting,
  order: OrderRowUpdate,
): Promise<boolean> {
  const res = await pool.query<{ stored: number }>({
    name: 'trading.fill',
    text: fillSql,
    values: [
      ...postingParams(fill.tenantId, posting),
      ...orderUpdateParams(order),
      fill.id,
      fill.venue,
      fill.symbol,
      fill.side,
      formatAmount(fill.price),
      formatAmount(fill.quantity),
      formatAmount(fill.quote),
      formatAmount(fill.fee),
      fill.feeAsset,
      fill.liquidity,
      new Date(fill.time),
    ],
  });
  return (res.rows[0]?.stored ?? 0) > 0;
}

/** Whether a posting is stored: a statement that wrote it committed whole (one statement, one transaction). */
export async function postingStored(pool: pg.Pool, postingId: string): Promise<boolean> {
  const res = await pool.query({
    name: 'trading.posting-stored',
    text: 'SELECT 1 FROM ledger_postings WHERE id = $1',
    values: [postingId],
  });
  return res.rowCount !== null && res.rowCount > 0;
}
