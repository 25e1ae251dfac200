import { Column, CreateDateColumn, DeleteDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An endpoint. The signing secret is sealed (AES-256-GCM, associated data = id) and never returned after create. */
@Entity({ name: 'webhooks' })
export class WebhookEntity {
  /** Chosen before insert: the sealed secret is bound to it. */
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'varchar', length: 200, default: '' })
  description: string;

  /** `*`, event types, or prefixes such as `security.*`. */
  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'secret_key_id', type: 'varchar', length: 32 })
  secretKeyId: string;

  @Column({ name: 'secret_iv', type: 'bytea' })
  secretIv: Buffer;

  @Column({ name: 'secret_ciphertext', type: 'bytea' })
  secretCiphertext: Buffer;

  @Column({ name: 'secret_tag', type: 'bytea' })
  secretTag: Buffer;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt: Date | null;
}
