import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints (signing secret sealed with AES-256-GCM, associated data = the endpoint id) and
 * their delivery outbox: one row per (event, endpoint), written in the transaction that made the
 * change and sent later by the dispatcher.
 */
export class CreateWebhooks1764403200000 implements MigrationInterface {
  name = 'CreateWebhooks1764403200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url varchar(2048) NOT NULL,
        description varchar(200) NOT NULL DEFAULT '',
        event_types text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        secret_key_id varchar(32) NOT NULL,
        secret_iv bytea NOT NULL,
        secret_ciphertext bytea NOT NULL,
        secret_tag bytea NOT NULL,
        created_by uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at timestamptz(3)
      )`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        event_type varchar(64) NOT NULL,
        payload jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL,
        last_attempt_at timestamptz(3),
        last_status_code int,
        last_error varchar(500),
        delivered_at timestamptz(3),
        created_at timestamptz(3) NOT NULL
      )`);
    // Claiming only ever looks at pending rows, so the index holds just those and stays small.
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at) WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhooks`);
  }
}
