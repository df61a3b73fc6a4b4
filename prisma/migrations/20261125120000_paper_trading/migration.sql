-- Paper trading: accounts, orders, fills, a double-entry ledger and the balances derived from it.
-- Amounts are numeric(38,18), the domain's exact 10^-18 units.

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN "trading_halted_at" TIMESTAMPTZ(3),
ADD COLUMN "trading_halted_reason" TEXT,
ADD COLUMN "trading_halted_by" TEXT;

-- CreateEnum
CREATE TYPE "OrderSide" AS ENUM ('buy', 'sell');

-- CreateEnum
CREATE TYPE "OrderType" AS ENUM ('market', 'limit', 'stop_market', 'stop_limit');

-- CreateEnum
CREATE TYPE "TimeInForce" AS ENUM ('GTC', 'IOC', 'FOK');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired');

-- CreateEnum
CREATE TYPE "Liquidity" AS ENUM ('maker', 'taker');

-- CreateEnum
CREATE TYPE "LedgerPostingType" AS ENUM ('deposit', 'withdrawal', 'order_lock', 'order_unlock', 'fill', 'fee');

-- CreateTable
CREATE TABLE "paper_accounts" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "quote_currency" TEXT NOT NULL DEFAULT 'USDT',
    "risk_limits" JSONB NOT NULL DEFAULT '{}',
    "halted_at" TIMESTAMPTZ(3),
    "halted_reason" TEXT,
    "halted_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "paper_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "client_order_id" TEXT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "OrderSide" NOT NULL,
    "type" "OrderType" NOT NULL,
    "time_in_force" "TimeInForce" NOT NULL,
    "post_only" BOOLEAN NOT NULL DEFAULT false,
    "quantity" DECIMAL(38,18) NOT NULL,
    "price" DECIMAL(38,18),
    "stop_price" DECIMAL(38,18),
    "status" "OrderStatus" NOT NULL,
    "filled_quantity" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "filled_quote" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "locked_amount" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "locked_asset" TEXT NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),
    -- Guards below the domain: an order never fills more than it asked, never holds a negative amount.
    CONSTRAINT "orders_filled_within_quantity" CHECK ("filled_quantity" >= 0 AND "filled_quantity" <= "quantity"),
    CONSTRAINT "orders_locked_non_negative" CHECK ("locked_amount" >= 0)
);

-- CreateTable
CREATE TABLE "fills" (
    "id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "OrderSide" NOT NULL,
    "price" DECIMAL(38,18) NOT NULL,
    "quantity" DECIMAL(38,18) NOT NULL,
    "quote" DECIMAL(38,18) NOT NULL,
    "fee" DECIMAL(38,18) NOT NULL,
    "fee_asset" TEXT NOT NULL,
    "liquidity" "Liquidity" NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "fills_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_postings" (
    "id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "type" "LedgerPostingType" NOT NULL,
    "order_id" UUID,
    "fill_id" TEXT,
    "sequence" BIGSERIAL NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_postings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "posting_id" TEXT NOT NULL,
    "type" "LedgerPostingType" NOT NULL,
    "ledger_account" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,

    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "balances" (
    "account_id" UUID NOT NULL,
    "asset" TEXT NOT NULL,
    "free" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "locked" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balances_pkey" PRIMARY KEY ("account_id","asset"),
    -- The last line of defence for "free never goes negative": a bug elsewhere fails the transaction.
    CONSTRAINT "balances_non_negative" CHECK ("free" >= 0 AND "locked" >= 0)
);

-- CreateIndex
CREATE INDEX "paper_accounts_tenant_id_idx" ON "paper_accounts"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "paper_accounts_tenant_id_name_key" ON "paper_accounts"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "orders_account_id_status_idx" ON "orders"("account_id", "status");

-- CreateIndex
CREATE INDEX "orders_tenant_id_created_at_idx" ON "orders"("tenant_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "orders_account_id_client_order_id_key" ON "orders"("account_id", "client_order_id");

-- CreateIndex
CREATE INDEX "fills_account_id_time_idx" ON "fills"("account_id", "time");

-- CreateIndex
CREATE INDEX "fills_order_id_idx" ON "fills"("order_id");

-- CreateIndex
CREATE INDEX "ledger_postings_account_id_created_at_idx" ON "ledger_postings"("account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_postings_sequence_key" ON "ledger_postings"("sequence");

-- CreateIndex
CREATE INDEX "ledger_entries_posting_id_idx" ON "ledger_entries"("posting_id");

-- CreateIndex
CREATE INDEX "ledger_entries_ledger_account_asset_idx" ON "ledger_entries"("ledger_account", "asset");

-- AddForeignKey
ALTER TABLE "paper_accounts" ADD CONSTRAINT "paper_accounts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "paper_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "paper_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "paper_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "ledger_postings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balances" ADD CONSTRAINT "balances_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "paper_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
