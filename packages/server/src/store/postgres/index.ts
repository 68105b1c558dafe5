export { openPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { migratePostgres, type MigrationReport } from './migrate.js';
export { PG_MIGRATIONS } from './migrations.js';
export type { PostgresOptions } from './pool.js';
