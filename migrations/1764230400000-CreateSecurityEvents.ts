import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security events (brute force, lockouts, invalid-key bursts, disallowed IPs, honeytoken use).
 * Pages walk (created_at, id) downwards; each filter gets an index that keeps that order.
 */
export class CreateSecurityEvents1764230400000 implements MigrationInterface {
  name = 'CreateSecurityEvents1764230400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE security_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        type varchar(64) NOT NULL,
        severity varchar(16) NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        source_ip varchar(64),
        user_id uuid,
        key_id uuid,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX security_events_created_idx ON security_events (created_at DESC, id DESC)`);
    // varchar_pattern_ops: also serves prefix filters (`type LIKE 'key.%'`) under any collation.
    await queryRunner.query(
      `CREATE INDEX security_events_type_idx ON security_events (type varchar_pattern_ops, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX security_events_severity_idx ON security_events (severity, created_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX security_events_source_ip_idx ON security_events (source_ip, created_at DESC, id DESC) WHERE source_ip IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX security_events_user_idx ON security_events (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX security_events_key_idx ON security_events (key_id, created_at DESC, id DESC) WHERE key_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE security_events`);
  }
}
