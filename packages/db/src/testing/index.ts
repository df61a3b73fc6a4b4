import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createPrisma, type Db, withClient, withDatabase } from '../client.ts';

export { withClient, withDatabase };

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection URL to the test server's maintenance database (`postgres` or the given one). */
    qtDbAdminUrl: string;
    /** A database migrated once per run; every test database is a copy of it. */
    qtDbTemplate: string;
    /** Prefix of every database this run creates, so teardown can find leftovers. */
    qtDbRunPrefix: string;
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Lazily created; disconnected by drop(). */
  readonly prisma: Db;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file (or test): a copy of the run's template, so creating
 * one costs a file copy, not a migration. Names are unique per call, so files run in parallel.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('qtDbAdminUrl');
  const template = inject('qtDbTemplate');
  const name = `${inject('qtDbRunPrefix')}_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl, async (c) => {
    // CREATE DATABASE ... TEMPLATE fails while another CREATE copies the same template; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (err) {
        if (attempt >= 50 || !String((err as Error).message).includes('being accessed by other users'))
          throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  });
  const url = withDatabase(adminUrl, name);
  let prisma: Db | undefined;
  return {
    url,
    name,
    get prisma() {
      prisma ??= createPrisma(url, { max: 4 });
      return prisma;
    },
    async drop() {
      await prisma?.$disconnect();
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
