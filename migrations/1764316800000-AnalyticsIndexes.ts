import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The usage counters' primary key leads with key_id, which serves one key's series but not the
 * fleet-wide window scans of the analytics overview (every key, recent buckets only): without this
 * index those read the whole history.
 */
export class AnalyticsIndexes1764316800000 implements MigrationInterface {
  name = 'AnalyticsIndexes1764316800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX key_usage_hourly_bucket_idx ON key_usage_hourly (bucket)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX key_usage_hourly_bucket_idx`);
  }
}
