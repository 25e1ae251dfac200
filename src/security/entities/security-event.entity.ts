import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SecuritySeverity } from '../security-event.types';

/** Append-only: rows are written in batches by SecurityEventsService and never updated. */
@Entity({ name: 'security_events' })
export class SecurityEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** When the event was raised (not when its batch was written). */
  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  severity: SecuritySeverity;

  @Column({ name: 'source_ip', type: 'varchar', length: 64, nullable: true })
  sourceIp: string | null;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ name: 'key_id', type: 'uuid', nullable: true })
  keyId: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;
}
