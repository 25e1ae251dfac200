import { Injectable } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { AppliedBatches } from '../database/applied-batches';
import { Job, type JobHandler } from '../jobs/job.decorator';
import { UsageRecorder } from '../usage/usage-recorder';
import { SYSTEM_ACTOR } from './audit-record';
import { AuditRepository } from './audit.repository';
import { AuditWriter } from './audit.writer';

export interface RetentionResult extends Record<string, unknown> {
  auditRemoved: number;
  usageRemoved: number;
  appliedBatchesRemoved: number;
}

/**
 * Removes audit records and hourly usage counters past their retention, and the ids of background
 * batches once no retry can still need them. The audit cut and its checkpoint record
 * (`audit.pruned`, holding the last removed hash) commit together, so the chain that remains still
 * verifies from its first record.
 */
@Injectable()
@Job('retention')
export class RetentionJob implements JobHandler {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly writer: AuditWriter,
    private readonly records: AuditRepository,
    private readonly usage: UsageRecorder,
    private readonly appliedBatches: AppliedBatches,
  ) {}

  async run(): Promise<RetentionResult> {
    const now = this.clock.now();
    return {
      auditRemoved: await this.pruneAudit(now),
      usageRemoved: await this.pruneUsage(now),
      appliedBatchesRemoved: await this.appliedBatches.deleteExpired(),
    };
  }

  private async pruneAudit(now: number): Promise<number> {
    const { retentionSeconds, retentionMinSeconds } = this.config.audit;
    if (retentionSeconds === 0) return 0;
    const before = new Date(now - Math.max(retentionSeconds, retentionMinSeconds) * 1000);
    return this.writer.transaction(async (manager, record) => {
      const cut = await this.records.deleteBefore(manager, before);
      if (!cut) return 0;
      record({
        actor: SYSTEM_ACTOR,
        action: 'audit.pruned',
        target: { type: 'audit_log', id: null },
        details: { throughSeq: cut.throughSeq, lastHash: cut.lastHash.toString('hex'), removed: cut.removed, before: before.toISOString() },
      });
      return cut.removed;
    });
  }

  private async pruneUsage(now: number): Promise<number> {
    const { retentionSeconds } = this.config.usage;
    return retentionSeconds === 0 ? 0 : this.usage.deleteBefore(new Date(now - retentionSeconds * 1000));
  }
}
