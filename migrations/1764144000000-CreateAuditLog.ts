import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hash-chained audit log. `audit_chain_head` is one row holding the latest sequence number and
 * hash: every append locks it, so appends from any number of instances form one chain. A trigger
 * makes the log append-only; retention is the one writer allowed to delete, and says so per
 * transaction (`SET LOCAL keyward.audit_retention = 'on'`).
 */
export class CreateAuditLog1764144000000 implements MigrationInterface {
  name = 'CreateAuditLog1764144000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY,
        created_at timestamptz(3) NOT NULL,
        actor_type varchar(16) NOT NULL,
        actor_id uuid,
        actor_name varchar(320),
        action varchar(64) NOT NULL,
        target_type varchar(32),
        target_id varchar(200),
        outcome varchar(16) NOT NULL,
        ip varchar(64),
        user_agent varchar(512),
        request_id varchar(128),
        details jsonb NOT NULL DEFAULT '{}',
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL
      )`);
    // Filtered pages walk seq downwards; each filter gets an index that keeps that order.
    await queryRunner.query(`CREATE INDEX audit_log_created_at_idx ON audit_log (created_at)`);
    await queryRunner.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq)`);
    await queryRunner.query(`CREATE INDEX audit_log_target_idx ON audit_log (target_id, seq)`);
    await queryRunner.query(`CREATE INDEX audit_log_action_idx ON audit_log (action varchar_pattern_ops, seq)`);
    await queryRunner.query(`CREATE INDEX audit_log_ip_idx ON audit_log (ip, seq)`);
    await queryRunner.query(`
      CREATE TABLE audit_chain_head (
        id smallint PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        hash bytea NOT NULL
      )`);
    await queryRunner.query(`INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'))`);
    await queryRunner.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('keyward.audit_retention', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_chain_head`);
    await queryRunner.query(`DROP TABLE audit_log`);
    await queryRunner.query(`DROP FUNCTION audit_log_append_only()`);
  }
}
