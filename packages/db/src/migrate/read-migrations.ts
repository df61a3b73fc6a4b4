import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MigrationFile {
  /** The folder name, e.g. `20261124000000_init`, as Prisma names migrations. */
  name: string;
  sql: string;
  /** SHA-256 hex of the file, as Prisma records it in `_prisma_migrations.checksum`. */
  checksum: string;
  /** `-- qt:no-transaction` on a line of its own: statements that cannot run in a transaction block. */
  transactional: boolean;
}

export const defaultMigrationsDir = fileURLToPath(new URL('../../../../prisma/migrations', import.meta.url));

export function readMigrations(dir = defaultMigrationsDir): MigrationFile[] {
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return {
        name,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
        transactional: !/^--\s*qt:no-transaction\s*$/m.test(sql),
      };
    });
}
