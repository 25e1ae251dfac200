import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { decodeCursor, invalidCursor, toPage, type Page } from '../common/pagination/cursor';
import type { AuditFilterDto, AuditQueryDto, AuditRecordDto } from './dto/audit.dto';
import { AuditRepository, type AuditFilter, type ChainedAuditRecord } from './audit.repository';

const EXPORT_BATCH = 1000;
const CSV_COLUMNS = ['seq', 'time', 'actorType', 'actorId', 'actorName', 'action', 'targetType', 'targetId', 'outcome', 'ip', 'userAgent', 'requestId', 'details', 'hash'];

/** Queries and exports of the audit log. */
@Injectable()
export class AuditService {
  constructor(private readonly records: AuditRepository) {}

  /** Newest first, keyset-paginated on the sequence number. */
  async list(query: AuditQueryDto): Promise<Page<AuditRecordDto>> {
    const afterSeq = query.cursor === undefined ? undefined : seqOf(query.cursor);
    const rows = await this.records.page(toFilter(query), 'desc', query.limit + 1, afterSeq);
    return toPage(rows, query.limit, (r) => ({ sort: String(r.seq), id: '' }), toDto);
  }

  /** Oldest first, read in batches as the client consumes them: memory stays flat however big. */
  export(filter: AuditFilterDto, format: 'ndjson' | 'csv'): Readable {
    const records = this.records;
    const criteria = toFilter(filter);
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
      let afterSeq: number | undefined;
      for (;;) {
        const batch = await records.page(criteria, 'asc', EXPORT_BATCH, afterSeq);
        if (batch.length === 0) return;
        yield batch.map((record) => (format === 'csv' ? toCsvLine(toDto(record)) : `${JSON.stringify(toDto(record))}\n`)).join('');
        afterSeq = batch[batch.length - 1].seq;
      }
    }
    return Readable.from(lines());
  }
}

function seqOf(cursor: string): number {
  const seq = Number(decodeCursor(cursor).sort);
  if (!Number.isSafeInteger(seq) || seq < 1) throw invalidCursor();
  return seq;
}

function toFilter(dto: AuditFilterDto): AuditFilter {
  const { actorType, actorId, action, targetType, targetId, outcome, ip, from, to } = dto;
  return { actorType, actorId, action, targetType, targetId, outcome, ip, from, to };
}

export function toDto(record: ChainedAuditRecord): AuditRecordDto {
  return {
    seq: record.seq,
    time: record.time,
    actor: { type: record.actorType, id: record.actorId, name: record.actorName },
    action: record.action,
    target: { type: record.targetType, id: record.targetId },
    outcome: record.outcome,
    ip: record.ip,
    userAgent: record.userAgent,
    requestId: record.requestId,
    details: record.details,
    hash: record.hash.toString('hex'),
  };
}

function toCsvLine(dto: AuditRecordDto): string {
  const values = [
    dto.seq,
    dto.time,
    dto.actor.type,
    dto.actor.id,
    dto.actor.name,
    dto.action,
    dto.target.type,
    dto.target.id,
    dto.outcome,
    dto.ip,
    dto.userAgent,
    dto.requestId,
    JSON.stringify(dto.details),
    dto.hash,
  ];
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a formula (CSV injection):
 * names and user agents come from clients.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
