import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import type { AuditEntry } from './audit-record';
import { AuditWriter } from './audit.writer';

/** Records held while the database refuses writes; beyond this the oldest are dropped (and logged). */
const MAX_PENDING = 100_000;

interface AuditBatch {
  id: string;
  entries: AuditEntry[];
}

/**
 * Verification attempts reach the audit log through here: queued synchronously on the hot path,
 * appended to the chain in batches every AUDIT_FLUSH_INTERVAL_MS (or sooner when
 * AUDIT_FLUSH_MAX_BATCH wait), and on shutdown. A failed batch is retried as it was, under its id,
 * so it is appended once even when it committed but the answer was lost (AppliedBatches).
 */
@Injectable()
export class AuditBatcher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditBatcher.name);
  private queue: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Sent, but not known to be written: its commit failed, or its answer was lost. */
  private unconfirmed?: AuditBatch;

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
    // A batch not known to be written goes first, and newer records wait behind it: the chain
    // keeps them in the order they were queued.
    if (this.unconfirmed) {
      if (!(await this.write(this.unconfirmed))) return;
      this.unconfirmed = undefined;
    }
    while (this.queue.length > 0) {
      const batch: AuditBatch = { id: randomUUID(), entries: this.queue.splice(0, this.config.audit.flushMaxBatch) };
      if (!(await this.write(batch))) {
        this.unconfirmed = batch;
        return;
      }
    }
  }

  /**
   * True once the batch is known to be written, now or by an earlier attempt whose commit answer
   * was lost; false when it may not be, and it is to be retried under the same id.
   */
  private async write(batch: AuditBatch): Promise<boolean> {
    try {
      await this.writer.appendBatch(batch.id, batch.entries);
      this.metrics.auditBatchWritten(batch.entries.length);
      return true;
    } catch (error) {
      this.metrics.auditBatchFailed();
      if (this.queue.length > MAX_PENDING) {
        const dropped = this.queue.length - MAX_PENDING;
        this.queue.splice(0, dropped);
        this.logger.error(`Dropped ${dropped} audit records of verification attempts: the database has refused writes for too long`);
      }
      this.logger.warn(`Audit batch failed, will retry: ${(error as Error).message}`);
      return false;
    }
  }
}
