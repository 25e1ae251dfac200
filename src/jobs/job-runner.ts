import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { Job, type JobHandler } from './job.decorator';

export interface JobRun {
  name: string;
  /** False when another runner (this or another instance) held the job's lock. */
  ran: boolean;
  result?: Record<string, unknown>;
  error?: string;
}

export interface JobStatus {
  name: string;
  intervalSeconds: number;
  lastRun: { startedAt: Date; finishedAt: Date | null; result: Record<string, unknown> | null; error: string | null } | null;
}

/**
 * Runs each job on its interval and on demand, at most once at a time across every instance: a
 * tick takes a PostgreSQL advisory lock (on its own connection) and skips when another holds it.
 * The embedded database is single-instance and has one connection, so there an in-process guard
 * is enough. Each job's work is idempotent and batched, so a crash mid-tick is finished next tick.
 * The last run of each job is kept in `job_runs`, visible from every instance.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  private readonly jobs = new Map<string, JobHandler>();
  private readonly running = new Map<string, Promise<JobRun>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scheduler: SchedulerRegistry,
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: Job.KEY })) {
      this.jobs.set(this.discovery.getMetadataByDecorator(Job, wrapper) as string, wrapper.instance as JobHandler);
    }
    if (!this.config.jobs.enabled) return;
    for (const name of this.jobs.keys()) {
      const timer = setInterval(() => void this.run(name), this.intervalOf(name) * 1000);
      timer.unref();
      this.scheduler.addInterval(`job:${name}`, timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const name of this.jobs.keys()) if (this.scheduler.doesExist('interval', `job:${name}`)) this.scheduler.deleteInterval(`job:${name}`);
    await Promise.allSettled(this.running.values());
  }

  names(): string[] {
    return [...this.jobs.keys()];
  }

  /** Runs a job now unless it is already running somewhere; never throws for a failing job. */
  run(name: string): Promise<JobRun> {
    const job = this.jobs.get(name);
    if (!job) throw DomainError.notFound('Job');
    let pending = this.running.get(name);
    if (!pending) {
      pending = this.runExclusively(name, job).finally(() => this.running.delete(name));
      this.running.set(name, pending);
    }
    return pending;
  }

  async status(): Promise<JobStatus[]> {
    const rows: Array<{ name: string; started_at: Date; finished_at: Date | null; result: Record<string, unknown> | null; error: string | null }> =
      await this.dataSource.query(`SELECT name, started_at, finished_at, result, error FROM job_runs`);
    const byName = new Map(rows.map((row) => [row.name, row]));
    return this.names().map((name) => {
      const row = byName.get(name);
      return {
        name,
        intervalSeconds: this.intervalOf(name),
        lastRun: row ? { startedAt: row.started_at, finishedAt: row.finished_at, result: row.result, error: row.error } : null,
      };
    });
  }

  private async runExclusively(name: string, job: JobHandler): Promise<JobRun> {
    const lock = this.config.database.url ? this.dataSource.createQueryRunner() : undefined;
    try {
      if (lock) {
        const [{ locked }] = (await lock.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [`keyward.job.${name}`])) as Array<{ locked: boolean }>;
        if (!locked) return { name, ran: false };
      }
      try {
        return await this.execute(name, job);
      } finally {
        if (lock) await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`keyward.job.${name}`]);
      }
    } catch (error) {
      this.logger.error(`Job ${name} could not run: ${(error as Error).message}`);
      return { name, ran: false, error: (error as Error).message };
    } finally {
      await lock?.release();
    }
  }

  private async execute(name: string, job: JobHandler): Promise<JobRun> {
    const startedAt = this.clock.date();
    await this.record(name, startedAt, null, null, null);
    try {
      const result = await job.run();
      await this.record(name, startedAt, this.clock.date(), result, null);
      return { name, ran: true, result };
    } catch (error) {
      const message = (error as Error).message.slice(0, 500);
      this.logger.error(`Job ${name} failed: ${message}`);
      await this.record(name, startedAt, this.clock.date(), null, message).catch(() => undefined);
      return { name, ran: true, error: message };
    }
  }

  private async record(name: string, startedAt: Date, finishedAt: Date | null, result: Record<string, unknown> | null, error: string | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO job_runs (name, started_at, finished_at, result, error) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
                                        result = EXCLUDED.result, error = EXCLUDED.error`,
      [name, startedAt.toISOString(), finishedAt?.toISOString() ?? null, result === null ? null : JSON.stringify(result), error],
    );
  }

  private intervalOf(name: string): number {
    return this.config.jobs.intervals[name] ?? 3600;
  }
}
