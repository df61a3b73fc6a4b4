export {
  createPgPool,
  createPrisma,
  type Db,
  type PgPoolOptions,
  PRISMA_CONNECT_TIMEOUT_MS,
  withClient,
  withDatabase,
} from './client.ts';
export { isDatabaseUnavailable } from './database-unavailable.ts';
export {
  type EmbeddedPostgresOptions,
  type RunningPostgres,
  startEmbeddedPostgres,
} from './embedded/embedded-postgres.ts';
export * from './generated/prisma/client.ts';
export { type MigrateOptions, MigrationError, type MigrationErrorCode, migrate } from './migrate/migrate.ts';
export { defaultMigrationsDir, type MigrationFile, readMigrations } from './migrate/read-migrations.ts';
export { detectTimescale, type TimescaleStatus } from './timescale.ts';
export * from './timeseries/index.ts';
