import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditActorType, AuditOutcome, AuditRecord } from './audit-record';

export interface AuditFilter {
  actorType?: AuditActorType;
  actorId?: string;
  /** Prefix: `key.` matches every key action. */
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  ip?: string;
  from?: Date;
  to?: Date;
}

/** A record with the chain fields the verifier needs. */
export interface ChainedAuditRecord extends AuditRecord {
  prevHash: Buffer;
  hash: Buffer;
}

interface AuditRow {
  seq: string;
  created_at: Date;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  prev_hash: Buffer;
  hash: Buffer;
}

const COLUMNS = `seq, created_at, actor_type, actor_id, actor_name, action, target_type, target_id, outcome, ip,
                 user_agent, request_id, details, prev_hash, hash`;

/** Reads of the audit log, and retention's deletes. Appends belong to AuditWriter alone. */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One page in sequence order, after `afterSeq` (exclusive) in that direction. */
  async page(filter: AuditFilter, order: 'asc' | 'desc', limit: number, afterSeq?: number): Promise<ChainedAuditRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.actorType) add('actor_type = ?', filter.actorType);
    if (filter.actorId) add('actor_id = ?::uuid', filter.actorId);
    if (filter.action) add(`action LIKE ? ESCAPE '\\'`, `${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (filter.targetType) add('target_type = ?', filter.targetType);
    if (filter.targetId) add('target_id = ?', filter.targetId);
    if (filter.outcome) add('outcome = ?', filter.outcome);
    if (filter.ip) add('ip = ?', filter.ip);
    if (filter.from) add('created_at >= ?', filter.from.toISOString());
    if (filter.to) add('created_at < ?', filter.to.toISOString());
    if (afterSeq !== undefined) add(order === 'desc' ? 'seq < ?' : 'seq > ?', afterSeq);
    params.push(limit);
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_log ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY seq ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Records `fromSeq..toSeq` in order, for chain verification. */
  async range(fromSeq: number, toSeq: number, limit: number): Promise<ChainedAuditRecord[]> {
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
      [fromSeq, toSeq, limit],
    );
    return rows.map(toRecord);
  }

  async hashOf(seq: number): Promise<Buffer | undefined> {
    const rows: Array<{ hash: Buffer }> = await this.dataSource.query(`SELECT hash FROM audit_log WHERE seq = $1`, [seq]);
    return rows[0]?.hash;
  }

  async bounds(): Promise<{ first: number | null; head: number; headHash: Buffer }> {
    const [row] = (await this.dataSource.query(
      `SELECT (SELECT min(seq) FROM audit_log) AS first, h.seq AS head, h.hash AS head_hash FROM audit_chain_head h WHERE h.id = 1`,
    )) as Array<{ first: string | null; head: string; head_hash: Buffer }>;
    return { first: row.first === null ? null : Number(row.first), head: Number(row.head), headHash: row.head_hash };
  }

  /** The newest retention checkpoint: where the removed part of the chain ended. */
  async latestCheckpoint(): Promise<{ throughSeq: number; lastHash: Buffer } | undefined> {
    const rows: Array<{ details: { throughSeq?: unknown; lastHash?: unknown } }> = await this.dataSource.query(
      `SELECT details FROM audit_log WHERE action = 'audit.pruned' ORDER BY seq DESC LIMIT 1`,
    );
    const details = rows[0]?.details;
    if (typeof details?.throughSeq !== 'number' || typeof details.lastHash !== 'string') return undefined;
    return { throughSeq: details.throughSeq, lastHash: Buffer.from(details.lastHash, 'hex') };
  }

  /**
   * Removes the oldest records, up to the first one created at or after `before` (so a record
   * stamped early by a skewed clock never takes younger ones with it), within the caller's
   * transaction. Returns where the removed part ended.
   */
  async deleteBefore(manager: EntityManager, before: Date): Promise<{ throughSeq: number; lastHash: Buffer; removed: number } | undefined> {
    // Appends wait while the cut is made, and so does retention on another instance.
    await manager.query(`SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE`);
    const [last] = (await manager.query(
      `SELECT seq, hash FROM audit_log
        WHERE seq = COALESCE((SELECT min(seq) FROM audit_log WHERE created_at >= $1) - 1, (SELECT max(seq) FROM audit_log))`,
      [before.toISOString()],
    )) as Array<{ seq: string; hash: Buffer }>;
    if (!last) return undefined;
    await manager.query(`SET LOCAL keyward.audit_retention = 'on'`);
    const [, removed] = (await manager.query(`DELETE FROM audit_log WHERE seq <= $1`, [last.seq])) as [unknown, number];
    return { throughSeq: Number(last.seq), lastHash: last.hash, removed };
  }
}

function toRecord(row: AuditRow): ChainedAuditRecord {
  return {
    seq: Number(row.seq),
    time: new Date(row.created_at).toISOString(),
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorName: row.actor_name,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
