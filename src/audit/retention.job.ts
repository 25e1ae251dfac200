import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { UsageRecorder } from '../usage/usage-recorder';
import { SYSTEM_ACTOR } from './audit-record';
import { AuditRepository } from './audit.repository';
import { AuditWriter } from './audit.writer';

export interface RetentionResult {
  auditRemoved: number;
  usageRemoved: number;
}

/**
 * Removes audit records and hourly usage counters past their retention. The audit cut and its
 * checkpoint record (`audit.pruned`, holding the last removed hash) commit together, so the chain
 * that remains still verifies from its first record.
 */
@Injectable()
export class RetentionJob {
  private readonly logger = new Logger(RetentionJob.name);
  /** For /admin/system. */
  lastRun?: { at: Date; result?: RetentionResult; error?: string };

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly writer: AuditWriter,
    private readonly records: AuditRepository,
    private readonly usage: UsageRecorder,
  ) {}

  @Interval('retention', 3_600_000)
  async handle(): Promise<void> {
    try {
      const result = await this.run();
      this.lastRun = { at: this.clock.date(), result };
      if (result.auditRemoved + result.usageRemoved > 0) {
        this.logger.log(`Retention removed ${result.auditRemoved} audit records and ${result.usageRemoved} usage counters`);
      }
    } catch (error) {
      this.lastRun = { at: this.clock.date(), error: (error as Error).message };
      this.logger.error(`Retention failed: ${(error as Error).message}`);
    }
  }

  async run(): Promise<RetentionResult> {
    const now = this.clock.now();
    return { auditRemoved: await this.pruneAudit(now), usageRemoved: await this.pruneUsage(now) };
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
