import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { SecurityEventEntity } from './entities/security-event.entity';
import type { SecuritySeverity } from './security-event.types';

/** A row as buffered for writing; `details` is already serialised JSON. */
export interface NewSecurityEvent {
  time: Date;
  type: string;
  severity: SecuritySeverity;
  sourceIp: string | null;
  userId: string | null;
  keyId: string | null;
  details: string;
}

export interface SecurityEventFilter {
  /** An exact type, or a prefix when it ends with a dot (`key.`). */
  type?: string;
  severity?: SecuritySeverity;
  sourceIp?: string;
  userId?: string;
  keyId?: string;
  from?: Date;
  to?: Date;
  after?: CursorPosition;
  limit: number;
}

@Injectable()
export class SecurityEventsRepository {
  constructor(@InjectRepository(SecurityEventEntity) private readonly events: Repository<SecurityEventEntity>) {}

  /** One statement for the whole batch. */
  async insertMany(rows: NewSecurityEvent[], manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO security_events (created_at, type, severity, source_ip, user_id, key_id, details)
       SELECT * FROM unnest($1::timestamptz[], $2::varchar[], $3::varchar[], $4::varchar[], $5::uuid[], $6::uuid[], $7::jsonb[])`,
      [
        rows.map((row) => row.time.toISOString()),
        rows.map((row) => row.type),
        rows.map((row) => row.severity),
        rows.map((row) => row.sourceIp),
        rows.map((row) => row.userId),
        rows.map((row) => row.keyId),
        rows.map((row) => row.details),
      ],
    );
  }

  /** Newest first, one page of `limit` plus one row that only tells whether another page exists. */
  list(filter: SecurityEventFilter): Promise<SecurityEventEntity[]> {
    const query = this.events
      .createQueryBuilder('e')
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.type?.endsWith('.')) query.andWhere(`e.type LIKE :typePrefix`, { typePrefix: `${filter.type.replace(/_/g, '\\_')}%` });
    else if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.severity) query.andWhere('e.severity = :severity', { severity: filter.severity });
    if (filter.sourceIp) query.andWhere('e.source_ip = :sourceIp', { sourceIp: filter.sourceIp });
    if (filter.userId) query.andWhere('e.user_id = :userId', { userId: filter.userId });
    if (filter.keyId) query.andWhere('e.key_id = :keyId', { keyId: filter.keyId });
    if (filter.from) query.andWhere('e.created_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('e.created_at < :to', { to: filter.to });
    if (filter.after) {
      query.andWhere('(e.created_at, e.id) < (CAST(:afterTime AS timestamptz), CAST(:afterId AS uuid))', {
        afterTime: filter.after.sort,
        afterId: filter.after.id,
      });
    }
    return query.getMany();
  }
}
