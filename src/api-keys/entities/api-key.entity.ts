import { Column, CreateDateColumn, DeleteDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { KeyHashAlgorithm } from '../key-hasher';

export type RefillInterval = 'daily' | 'monthly';

/** An API key. Never holds the plaintext: only its keyed hash and display fragments. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  environment: string;

  @Column({ type: 'bytea', select: false })
  hash: Buffer;

  @Column({ name: 'hash_algorithm', type: 'varchar', length: 16 })
  hashAlgorithm: KeyHashAlgorithm;

  @Column({ type: 'varchar', length: 40 })
  start: string;

  @Column({ type: 'varchar', length: 4 })
  last4: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  permissions: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  roles: string[];

  @Column({ name: 'ip_allowlist', type: 'text', array: true, default: () => "'{}'" })
  ipAllowlist: string[];

  @Column({ name: 'rate_limit', type: 'int', nullable: true })
  rateLimit: number | null;

  @Column({ name: 'rate_limit_window_seconds', type: 'int', nullable: true })
  rateLimitWindowSeconds: number | null;

  /** Usage credits left; null = unlimited. */
  @Column({ type: 'int', nullable: true })
  remaining: number | null;

  @Column({ name: 'refill_amount', type: 'int', nullable: true })
  refillAmount: number | null;

  @Column({ name: 'refill_interval', type: 'varchar', length: 16, nullable: true })
  refillInterval: RefillInterval | null;

  @Column({ name: 'refilled_at', type: 'timestamptz', nullable: true })
  refilledAt: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 500, nullable: true })
  revokedReason: string | null;

  @Column({ name: 'rotation_interval_seconds', type: 'int', nullable: true })
  rotationIntervalSeconds: number | null;

  @Column({ name: 'rotated_from_id', type: 'uuid', nullable: true })
  rotatedFromId: string | null;

  @Column({ name: 'rotated_to_id', type: 'uuid', nullable: true })
  rotatedToId: string | null;

  /** Set by the expiry job once it has recorded `key.expired`. */
  @Column({ name: 'expiry_recorded_at', type: 'timestamptz', nullable: true })
  expiryRecordedAt: Date | null;

  /** Warning horizons (days before expiry) already announced with `key.expiring`. */
  @Column({ name: 'expiry_warnings', type: 'int', array: true, default: () => "'{}'" })
  expiryWarnings: number[];

  /** Why a job disabled the key (the stale-key reaper), null when a person did or nobody has. */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 200, nullable: true })
  disabledReason: string | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  meta: Record<string, unknown>;

  /** A decoy: never verifies, and any use of it is a security event. */
  @Column({ type: 'boolean', default: false })
  honeytoken: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
