import { defineConfig } from 'prisma/config';

// Prisma 7 reads the datasource URL here, not from schema.prisma. Only `prisma generate` runs in this
// project (migrations are applied by our own offline migrator, packages/db/src/migrate), so the URL is
// optional: generation does not connect.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
