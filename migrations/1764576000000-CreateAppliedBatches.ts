import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ids of background batches (usage counters, verification audit records) that have committed,
 * so a batch whose commit answer was lost is applied once when retried (see AppliedBatches).
 */
export class CreateAppliedBatches1764576000000 implements MigrationInterface {
  name = 'CreateAppliedBatches1764576000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE applied_batches (
        id uuid PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX applied_batches_applied_at_idx ON applied_batches (applied_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE applied_batches`);
  }
}
