import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AppliedBatches } from '../database/applied-batches';
import { Metrics } from '../metrics/metrics.service';

const HOUR_MS = 3_600_000;
/** Counters kept while the database refuses writes; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_COUNTERS = 500_000;

interface UsageBatch {
  id: string;
  /** `keyId|hour bucket|outcome` → verifications. */
  counters: Map<string, number>;
  /** Key id → last verification time. */
  lastUsed: Map<string, number>;
}

/**
 * Buffers verification outcomes and last-used times in memory and writes them in batches, off the
 * request path: every USAGE_FLUSH_INTERVAL_MS, or sooner once USAGE_FLUSH_MAX_BATCH outcomes wait,
 * and on shutdown. A failed flush is retried as it was, under its id, so it is counted once even
 * when it committed but the answer was lost (AppliedBatches). A hard crash loses what was
 * recorded since the last committed flush began: about two intervals at most (the one buffered and
 * the one being written), plus any a failing database kept pending. Flushes never wait for key
 * rows that management writes hold (see writeBatch), so that bound holds under write load too.
 */
@Injectable()
export class UsageRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UsageRecorder.name);
  private counters = new Map<string, number>();
  private lastUsed = new Map<string, number>();
  private pending = 0;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Sent, but not known to be written: its commit failed, or its answer was lost. */
  private unconfirmed?: UsageBatch;

  constructor(
    private readonly dataSource: DataSource,
    private readonly appliedBatches: AppliedBatches,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.usage.flushIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Synchronous and allocation-light: called on every verification of a known key. */
  record(keyId: string, outcome: string, now: number, used: boolean): void {
    const counterKey = `${keyId}|${now - (now % HOUR_MS)}|${outcome}`;
    this.counters.set(counterKey, (this.counters.get(counterKey) ?? 0) + 1);
    if (used) this.lastUsed.set(keyId, now);
    if (++this.pending >= this.config.usage.flushMaxBatch) void this.flush();
  }

  /** Writes everything buffered so far; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.writeBatch().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    // A batch not known to be written goes first, alone: newer counters must not join it, since it
    // may have landed already.
    if (this.unconfirmed) {
      if (!(await this.write(this.unconfirmed))) return this.holdBack();
      this.unconfirmed = undefined;
    }
    if (this.counters.size === 0 && this.lastUsed.size === 0) return;
    const batch: UsageBatch = { id: randomUUID(), counters: this.counters, lastUsed: this.lastUsed };
    this.counters = new Map();
    this.lastUsed = new Map();
    this.pending = 0;
    if (!(await this.write(batch))) this.unconfirmed = batch;
  }

  /**
   * True once the batch is known to be written, now or by an earlier attempt whose commit answer
   * was lost; false when it may not be, and it is to be retried under the same id.
   */
  private async write({ id, counters, lastUsed }: UsageBatch): Promise<boolean> {
    let busy: Map<string, number> | undefined;
    try {
      await this.dataSource.transaction(async (manager) => {
        if (!(await this.appliedBatches.claim(manager, id))) return;
        if (counters.size > 0) {
          const ids: string[] = [];
          const buckets: string[] = [];
          const outcomes: string[] = [];
          const counts: number[] = [];
          for (const [key, count] of counters) {
            const [keyId, bucket, outcome] = key.split('|');
            ids.push(keyId);
            buckets.push(new Date(Number(bucket)).toISOString());
            outcomes.push(outcome);
            counts.push(count);
          }
          await manager.query(
            `INSERT INTO key_usage_hourly (key_id, bucket, outcome, count)
             SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::varchar[], $4::bigint[])
             ON CONFLICT (key_id, bucket, outcome) DO UPDATE SET count = key_usage_hourly.count + EXCLUDED.count`,
            [ids, buckets, outcomes, counts],
          );
        }
        if (lastUsed.size > 0) {
          // Key rows a management write holds (a revocation waiting for the audit chain, say) are
          // skipped and kept for the next flush: waiting for them would hold back the counters'
          // commit, and with it what a crash can lose.
          const [updated] = (await manager.query(
            `UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, v.used_at)
               FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, used_at)
              WHERE k.id = v.id
                AND k.id IN (SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) FOR NO KEY UPDATE SKIP LOCKED)
          RETURNING k.id`,
            [[...lastUsed.keys()], [...lastUsed.values()].map((t) => new Date(t).toISOString())],
          )) as [Array<{ id: string }>, number];
          if (updated.length < lastUsed.size) {
            busy = new Map(lastUsed);
            for (const { id: keyId } of updated) busy.delete(keyId);
          }
        }
      });
      this.metrics.usageFlushed(counters.size);
      // Last-used times are idempotent (GREATEST), so the skipped ones simply join the next batch.
      for (const [keyId, time] of busy ?? []) this.lastUsed.set(keyId, Math.max(time, this.lastUsed.get(keyId) ?? 0));
      return true;
    } catch (error) {
      this.metrics.usageFlushFailed();
      this.logger.warn(`Usage flush failed, will retry: ${(error as Error).message}`);
      return false;
    }
  }

  /** Retention: drops hourly counters older than `before`. */
  async deleteBefore(before: Date): Promise<number> {
    const [, removed] = (await this.dataSource.query(`DELETE FROM key_usage_hourly WHERE bucket < $1`, [before.toISOString()])) as [unknown, number];
    return removed;
  }

  /** While the database refuses writes: bounds what waits behind the unconfirmed batch. */
  private holdBack(): void {
    this.pending = 0;
    const excess = this.counters.size - MAX_PENDING_COUNTERS;
    if (excess <= 0) return;
    const keys = this.counters.keys();
    for (let i = 0; i < excess; i++) this.counters.delete(keys.next().value as string);
    this.logger.error(`Dropped ${excess} usage counters: the database has refused writes for too long`);
  }
}
