import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1763971200000 implements MigrationInterface {
  name = 'CreateApiKeys1763971200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id),
        name varchar(100) NOT NULL,
        environment varchar(16) NOT NULL,
        hash bytea NOT NULL,
        hash_algorithm varchar(16) NOT NULL,
        start varchar(40) NOT NULL,
        last4 varchar(4) NOT NULL,
        permissions text[] NOT NULL DEFAULT '{}',
        roles text[] NOT NULL DEFAULT '{}',
        ip_allowlist text[] NOT NULL DEFAULT '{}',
        rate_limit int CHECK (rate_limit > 0),
        rate_limit_window_seconds int CHECK (rate_limit_window_seconds > 0),
        remaining int CHECK (remaining >= 0),
        refill_amount int CHECK (refill_amount > 0),
        refill_interval varchar(16) CHECK (refill_interval IN ('daily', 'monthly')),
        refilled_at timestamptz,
        expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        revoked_at timestamptz,
        revoked_reason varchar(500),
        rotation_interval_seconds int CHECK (rotation_interval_seconds > 0),
        rotated_from_id uuid REFERENCES api_keys (id),
        rotated_to_id uuid REFERENCES api_keys (id),
        last_used_at timestamptz,
        meta jsonb NOT NULL DEFAULT '{}',
        honeytoken boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (hash)`);
    await queryRunner.query(`CREATE INDEX api_keys_owner_created_idx ON api_keys (owner_id, created_at, id) WHERE deleted_at IS NULL`);
    await queryRunner.query(`CREATE INDEX api_keys_created_idx ON api_keys (created_at, id) WHERE deleted_at IS NULL`);
    await queryRunner.query(
      `CREATE INDEX api_keys_expires_idx ON api_keys (expires_at) WHERE revoked_at IS NULL AND deleted_at IS NULL AND expires_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE key_usage_hourly (
        key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        bucket timestamptz NOT NULL,
        outcome varchar(32) NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (key_id, bucket, outcome)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE key_usage_hourly`);
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
