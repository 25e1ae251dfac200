import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the scheduled jobs need: which expiry events a key has had, why the stale-key reaper
 * disabled it, the reveal-once secrets of scheduler-rotated keys (sealed, AES-256-GCM), and each
 * job's last run, shared by every instance.
 */
export class AddKeyRotation1764489600000 implements MigrationInterface {
  name = 'AddKeyRotation1764489600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN expiry_recorded_at timestamptz,
        ADD COLUMN expiry_warnings int[] NOT NULL DEFAULT '{}',
        ADD COLUMN disabled_reason varchar(200)`);
    await queryRunner.query(`
      CREATE INDEX api_keys_rotation_due_idx ON api_keys (created_at)
        WHERE rotation_interval_seconds IS NOT NULL AND rotated_to_id IS NULL AND revoked_at IS NULL AND deleted_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE key_secrets (
        key_id uuid PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
        encryption_key_id varchar(32) NOT NULL,
        iv bytea NOT NULL,
        ciphertext bytea NOT NULL,
        auth_tag bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX key_secrets_expires_at_idx ON key_secrets (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE job_runs (
        name varchar(64) PRIMARY KEY,
        started_at timestamptz(3) NOT NULL,
        finished_at timestamptz(3),
        result jsonb,
        error varchar(500)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_runs`);
    await queryRunner.query(`DROP TABLE key_secrets`);
    await queryRunner.query(`DROP INDEX api_keys_rotation_due_idx`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN expiry_recorded_at, DROP COLUMN expiry_warnings, DROP COLUMN disabled_reason`);
  }
}
