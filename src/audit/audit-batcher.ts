import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import type { AuditEntry } from './audit-record';
import { AuditWriter } from './audit.writer';

/** Records held while the database refuses writes; beyond this the oldest are dropped (and logged). */
const MAX_PENDING = 100_000;

/**
 * Verification attempts reach the audit log through here: queued synchronously on the hot path,
 * appended to the chain in batches every AUDIT_FLUSH_INTERVAL_MS (or sooner when
 * AUDIT_FLUSH_MAX_BATCH wait), and on shutdown. A failed batch is retried with the next one.
 */
@Injectable()
export class AuditBatcher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditBatcher.name);
  private queue: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly writer: AuditWriter,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.audit.flushIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Captures the request facts now: by the time the batch is written the request is gone. */
  enqueue(entry: AuditEntry): void {
    this.queue.push(this.writer.withRequestFacts(entry));
    if (this.queue.length >= this.config.audit.flushMaxBatch) void this.flush();
  }

  flush(): Promise<void> {
    this.flushing ??= this.writeBatch().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.config.audit.flushMaxBatch);
      try {
        await this.writer.appendBatch(batch);
        this.metrics.auditBatchWritten(batch.length);
      } catch (error) {
        this.metrics.auditBatchFailed();
        this.queue = batch.concat(this.queue);
        if (this.queue.length > MAX_PENDING) {
          const dropped = this.queue.length - MAX_PENDING;
          this.queue.splice(0, dropped);
          this.logger.error(`Dropped ${dropped} audit records of verification attempts: the database has refused writes for too long`);
        }
        this.logger.warn(`Audit batch failed, will retry: ${(error as Error).message}`);
        return;
      }
    }
  }
}
