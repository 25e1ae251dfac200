import { Injectable } from '@nestjs/common';
import { chainHash, GENESIS_HASH } from './audit-record';
import { AuditRepository } from './audit.repository';

const BATCH = 2000;

export interface ChainVerification {
  ok: boolean;
  /** Records whose links were checked. */
  checked: number;
  fromSeq: number | null;
  toSeq: number | null;
  /** The latest sequence number when the walk began. */
  headSeq: number;
  /** The first sequence number whose record is missing, altered or mislinked. */
  brokenAt?: number;
  reason?: string;
}

/** Walks the chain (or a range of it) recomputing every hash; constant memory. */
@Injectable()
export class AuditChainVerifier {
  constructor(private readonly records: AuditRepository) {}

  async verify(fromSeq?: number, toSeq?: number): Promise<ChainVerification> {
    const { first, head, headHash } = await this.records.bounds();
    const result: ChainVerification = { ok: true, checked: 0, fromSeq: null, toSeq: null, headSeq: head };
    const broken = (seq: number, reason: string): ChainVerification => ({ ...result, ok: false, brokenAt: seq, reason });
    if (first === null) return head === 0 ? result : broken(head, 'records are missing');

    const start = Math.max(fromSeq ?? first, first);
    const end = Math.min(toSeq ?? head, head);
    if (start > end) return result;
    result.fromSeq = start;
    result.toSeq = end;

    let expectedPrev: Buffer;
    if (start === 1) {
      expectedPrev = GENESIS_HASH;
    } else if (start === first) {
      // Retention removed what came before: the newest checkpoint must say exactly where it ended.
      const checkpoint = await this.records.latestCheckpoint();
      if (!checkpoint || checkpoint.throughSeq !== first - 1) return broken(first, 'earlier records were removed without a retention checkpoint');
      expectedPrev = checkpoint.lastHash;
    } else {
      const previous = await this.records.hashOf(start - 1);
      if (!previous) return broken(start - 1, 'record is missing');
      expectedPrev = previous;
    }

    let expectedSeq = start;
    for (;;) {
      const records = await this.records.range(expectedSeq, end, BATCH);
      for (const record of records) {
        if (record.seq !== expectedSeq) return broken(expectedSeq, 'record is missing');
        if (!record.prevHash.equals(expectedPrev)) return broken(record.seq, 'previous-hash link does not match');
        if (!chainHash(record.prevHash, record).equals(record.hash)) return broken(record.seq, 'record was altered');
        expectedPrev = record.hash;
        expectedSeq++;
        result.checked++;
      }
      if (records.length < BATCH) break;
    }
    if (expectedSeq <= end) return broken(expectedSeq, 'record is missing');
    if (end === head && !expectedPrev.equals(headHash)) return broken(head, 'chain head does not match the last record');
    return result;
  }
}
