import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type Db = PrismaClient;

/**
 * The process's one Prisma client, on the `pg` driver adapter (Prisma 7 runs its query compiler in
 * WebAssembly; no native query engine). Create it once and hand it to the components that need it.
 */
export function createPrisma(url: string, opts: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: url, max: opts.max ?? 10 });
  return new PrismaClient({ adapter });
}

/** A plain `pg` pool for hot paths Prisma does not serve (COPY of trades and candles). */
export function createPgPool(url: string, opts: { max?: number } = {}): pg.Pool {
  return new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** One short-lived connection (admin statements like CREATE DATABASE, which a pool should not run). */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
