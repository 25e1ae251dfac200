import { MigrationExecutor, type DataSource } from 'typeorm';

/** Any constant: instances starting together on one server take turns migrating. */
const MIGRATION_LOCK_ID = 0x6b657977; // "keyw"

/**
 * Runs pending migrations on one connection that holds a session advisory lock, so several
 * instances starting at once never apply the same migration twice. (On PGlite the lock is a no-op;
 * the data-dir lock already makes it single-instance.)
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await runner.release();
  }
}
