import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { currentRequest } from '../common/http/request-context';
import { Clock } from '../common/time/clock';
import { AppliedBatches } from '../database/applied-batches';
import { chainHash, scalarFieldsOf, type AuditEntry, type AuditRecord } from './audit-record';

/** Collects the audit records of a change; they are written when the change's transaction ends. */
export type RecordAudit = (entry: AuditEntry) => void;

/**
 * The one writer of the audit log. Appends lock the chain head row, so the chain never forks, also
 * with several instances on one database; the lock is taken last in a transaction and held only
 * until its commit.
 */
@Injectable()
export class AuditWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly appliedBatches: AppliedBatches,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs a change and its audit records in one transaction: no change without its record, no
   * record without its change.
   */
  transaction<T>(work: (manager: EntityManager, record: RecordAudit) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const entries: AuditEntry[] = [];
      const result = await work(manager, (entry) => entries.push(this.withRequestFacts(entry)));
      await this.append(manager, entries);
      return result;
    });
  }

  /** A change-less record (a login, a job's finding) in a transaction of its own. */
  async record(entry: AuditEntry): Promise<void> {
    await this.transaction(async (_manager, record) => record(entry));
  }

  /**
   * Appends records captured earlier (batched verification attempts), in their own transaction;
   * a batch id already applied appends nothing (AppliedBatches).
   */
  async appendBatch(batchId: string, entries: AuditEntry[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (await this.appliedBatches.claim(manager, batchId)) await this.append(manager, entries);
    });
  }

  /** Appends inside the caller's transaction; `entries` must already carry their request facts. */
  async append(manager: EntityManager, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const [head] = (await manager.query(`SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`)) as Array<{
      seq: string;
      hash: Buffer;
    }>;
    const firstSeq = Number(head.seq) + 1;
    const time = this.clock.date().toISOString();
    // One array per column but seq (consecutive from firstSeq) and time (one per batch): each
    // array element is parsed by PostgreSQL, so what is the same for the batch is sent once.
    const columns: unknown[][] = Array.from({ length: 13 }, () => []);
    let prevHash = head.hash;
    entries.forEach((entry, index) => {
      const record = toRecord(firstSeq + index, time, entry);
      const hash = chainHash(prevHash, record);
      const [, , ...perRecord] = scalarFieldsOf(record); // all but seq and time
      [...perRecord, JSON.stringify(record.details), prevHash, hash].forEach((value, column) => columns[column].push(value));
      prevHash = hash;
    });
    await manager.query(
      `INSERT INTO audit_log (seq, created_at, actor_type, actor_id, actor_name, action, target_type, target_id,
                              outcome, ip, user_agent, request_id, details, prev_hash, hash)
       SELECT $1::bigint + n - 1, $2::timestamptz, actor_type, actor_id, actor_name, action, target_type, target_id,
              outcome, ip, user_agent, request_id, details, prev_hash, hash
         FROM unnest($3::varchar[], $4::uuid[], $5::varchar[], $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[],
                     $10::varchar[], $11::varchar[], $12::varchar[], $13::jsonb[], $14::bytea[], $15::bytea[])
              WITH ORDINALITY AS r(actor_type, actor_id, actor_name, action, target_type, target_id, outcome, ip,
                                   user_agent, request_id, details, prev_hash, hash, n)`,
      [firstSeq, time, ...columns],
    );
    await manager.query(`UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1`, [firstSeq + entries.length - 1, prevHash]);
  }

  /** Fills ip, user agent and request id from the request being served, unless given. */
  withRequestFacts(entry: AuditEntry): AuditEntry {
    const request = currentRequest();
    return {
      ...entry,
      ip: entry.ip !== undefined ? entry.ip : (request?.ip ?? null),
      userAgent: entry.userAgent !== undefined ? entry.userAgent : (request?.userAgent ?? null),
      requestId: entry.requestId !== undefined ? entry.requestId : (request?.requestId ?? null),
    };
  }
}

function toRecord(seq: number, time: string, entry: AuditEntry): AuditRecord {
  return {
    seq,
    time,
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    outcome: entry.outcome ?? 'success',
    ip: entry.ip ?? null,
    userAgent: entry.userAgent ?? null,
    requestId: entry.requestId ?? null,
    // Through JSON once, so the hash covers exactly what jsonb stores (dates as strings, no undefined).
    details: JSON.parse(JSON.stringify(entry.details ?? {})) as Record<string, unknown>,
  };
}
