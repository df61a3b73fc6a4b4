#!/usr/bin/env tsx
import { MigrationError, migrate } from '../migrate/migrate.ts';

// `npm run migrate`: apply prisma/migrations to DATABASE_URL. The engine does the same at start.
const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write(
    'DATABASE_URL is not set. Example: DATABASE_URL=postgresql://user@127.0.0.1:5432/db npm run migrate\n',
  );
  process.exit(2);
}
try {
  const applied = await migrate(url, { log: (m) => process.stdout.write(`${m}\n`) });
  process.stdout.write(
    applied.length ? `${applied.length} migration(s) applied\n` : 'database is up to date\n',
  );
} catch (err) {
  if (err instanceof MigrationError) {
    process.stderr.write(`${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
