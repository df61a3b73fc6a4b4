import { formatAmount, type Posting } from '@qt/trading';
import type pg from 'pg';
import { isTransientDbError } from './db-errors.ts';
import { balanceDeltas, type OrderRowInsert, type OrderRowUpdate } from './journal-writes.ts';
import { postingDetail } from './posting-store.ts';

/** One account's change: any of a new order row, a posting (with entries and balances), an order update. */
export interface JournalChange {
  tenantId: string;
  order?: OrderRowInsert;
  posting?: Posting | null;
  update?: OrderRowUpdate;
}

/**
 * Every change of a batch in ONE statement: order rows, postings, their entries (in order), the balance
 * rows (updated, then the missing ones inserted: a CHECK is evaluated on an INSERT's candidate row even
 * when it would conflict, and the CHECK free, locked >= 0 stays the last guard), order updates. One
 * statement is one transaction, so a batch lands whole or not at all.
 */
const batchSql = `WITH
  o AS (
    INSERT INTO orders (id, tenant_id, account_id, client_order_id, venue, symbol, side, type, time_in_force,
      post_only, quantity, price, stop_price, status, locked_amount, locked_asset, created_at, updated_at)
    SELECT t.id, t.tenant_id, t.account_id, t.client_order_id, t.venue, t.symbol, t.side::"OrderSide",
      t.type::"OrderType", t.tif::"TimeInForce", t.post_only, t.quantity, t.price, t.stop_price, 'new',
      t.locked_amount, t.locked_asset, t.created_at, t.created_at
    FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::text[], $10::boolean[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[], $15::text[],
      $16::timestamptz[])
      AS t(id, tenant_id, account_id, client_order_id, venue, symbol, side, type, tif, post_only, quantity, price,
        stop_price, locked_amount, locked_asset, created_at)),
  p AS (
    INSERT INTO ledger_postings (id, tenant_id, account_id, type, order_id, fill_id, detail, created_at)
    SELECT t.id, t.tenant_id, t.account_id, t.type::"LedgerPostingType", t.order_id, t.fill_id, t.detail::jsonb,
      t.created_at
    FROM unnest($17::text[], $18::uuid[], $19::uuid[], $20::text[], $21::uuid[], $22::text[], $23::text[],
      $24::timestamptz[]) WITH ORDINALITY AS t(id, tenant_id, account_id, type, order_id, fill_id, detail, created_at, n)
    ORDER BY t.n),
  e AS (
    INSERT INTO ledger_entries (posting_id, type, ledger_account, asset, amount)
    SELECT t.posting_id, t.type::"LedgerPostingType", t.acct, t.asset, t.amount
    FROM unnest($25::text[], $26::text[], $27::text[], $28::text[], $29::numeric[])
      WITH ORDINALITY AS t(posting_id, type, acct, asset, amount, n)
    ORDER BY t.n),
  d AS (
    SELECT t.account_id, t.asset, sum(t.free) AS free, sum(t.locked) AS locked
    FROM unnest($30::uuid[], $31::text[], $32::numeric[], $33::numeric[]) AS t(account_id, asset, free, locked)
    GROUP BY 1, 2),
  bu AS (
    UPDATE balances b SET free = b.free + d.free, locked = b.locked + d.locked, updated_at = now()
    FROM d WHERE b.account_id = d.account_id AND b.asset = d.asset
    RETURNING b.account_id, b.asset),
  bi AS (
    INSERT INTO balances (account_id, asset, free, locked, updated_at)
    SELECT d.account_id, d.asset, d.free, d.locked, now() FROM d
    WHERE NOT EXISTS (SELECT 1 FROM bu WHERE bu.account_id = d.account_id AND bu.asset = d.asset)),
  u AS (
    UPDATE orders SET status = t.status::"OrderStatus", reason = COALESCE(t.reason, orders.reason),
      filled_quantity = COALESCE(t.filled_quantity, orders.filled_quantity),
      filled_quote = COALESCE(t.filled_quote, orders.filled_quote),
      locked_amount = t.locked_amount, updated_at = t.updated_at
    FROM unnest($34::uuid[], $35::text[], $36::text[], $37::numeric[], $38::numeric[], $39::numeric[],
      $40::timestamptz[]) AS t(id, status, reason, filled_quantity, filled_quote, locked_amount, updated_at)
    WHERE orders.id = t.id)
  SELECT 1`;

function batchParams(changes: readonly JournalChange[]): unknown[] {
  const cols = Array.from({ length: 40 }, () => [] as unknown[]);
  const push = (from: number, values: unknown[]) => {
    for (const [i, v] of values.entries()) cols[from + i]?.push(v);
  };
  for (const c of changes) {
    const o = c.order;
    if (o) {
      push(0, [
        o.id,
        o.tenantId,
        o.accountId,
        o.clientOrderId,
        o.venue,
        o.symbol,
        o.side,
        o.type,
        o.timeInForce,
        o.postOnly,
        formatAmount(o.quantity),
        o.price === null ? null : formatAmount(o.price),
        o.stopPrice === null ? null : formatAmount(o.stopPrice),
        formatAmount(o.lockedAmount),
        o.lockedAsset,
        new Date(o.createdAt),
      ]);
    }
    const p = c.posting;
    if (p) {
      push(16, [
        p.id,
        c.tenantId,
        p.accountId,
        p.type,
        p.orderId,
        p.fillId,
        JSON.stringify(postingDetail(p)),
        new Date(p.time),
      ]);
      for (const e of p.entries) push(24, [p.id, e.type, e.account, e.asset, formatAmount(e.amount)]);
      for (const d of balanceDeltas(p))
        push(29, [d.accountId, d.asset, formatAmount(d.free), formatAmount(d.locked)]);
    }
    const u = c.update;
    if (u) {
      push(33, [
        u.id,
        u.status,
        u.reason,
        u.filledQuantity === null ? null : formatAmount(u.filledQuantity),
        u.filledQuote === null ? null : formatAmount(u.filledQuote),
        formatAmount(u.lockedAmount),
        new Date(u.updatedAt),
      ]);
    }
  }
  return cols;
}

interface Pending {
  change: JournalChange;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the order path. Each change is one account's, and an account's changes are queued
 * one at a time (the service's serial queue), so a batch holds at most one change per account and the
 * per-account order is the commit order. Changes that arrive while `maxInFlight` batches are being
 * committed wait and go together in the next one: one statement and one WAL flush for many orders,
 * where one statement per order is bounded by the commit (fsync) rate. Alone, a change commits at once.
 * Every caller is answered only after its batch committed ("persisted before the answer").
 * A batch refused for its content is retried change by change, so only the offending change fails
 * (nothing of a failed statement was written); one that fails because the database is unreachable or
 * timed out fails whole, with every change waiting behind it (see `#commit`).
 */
export class GroupCommit {
  readonly #pool: pg.Pool;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #waiting: Pending[] = [];
  #inFlight = 0;
  /** Statements run and changes stored (metrics, tests). */
  readonly stats = { statements: 0, changes: 0 };

  constructor(pool: pg.Pool, opts: { maxInFlight?: number; maxBatch?: number } = {}) {
    this.#pool = pool;
    this.#maxInFlight = opts.maxInFlight ?? 2;
    this.#maxBatch = opts.maxBatch ?? 500;
  }

  write(change: JournalChange): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ change, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    try {
      await this.#run(batch.map((p) => p.change));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (isTransientDbError(err)) {
        // The database is unreachable, hung or says "not now": retrying change by change would make
        // every change wait out its own timeout (minutes for a full batch, with every account's
        // queue blocked behind it). The batch and the changes waiting now fail at once with the same
        // error (those were never sent: not stored); their callers hold them and retry with backoff.
        const waiting = this.#waiting.splice(0, this.#waiting.length);
        for (const p of [...batch, ...waiting]) p.reject(err);
        return;
      }
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      await Promise.all(
        batch.map((p) =>
          this.#run([p.change]).then(
            () => p.resolve(),
            (e: unknown) => p.reject(e),
          ),
        ),
      );
    }
  }

  async #run(changes: readonly JournalChange[]): Promise<void> {
    this.stats.statements++;
    await this.#pool.query({ name: 'trading.journal-batch', text: batchSql, values: batchParams(changes) });
    this.stats.changes += changes.length;
  }
}
