import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PREFIX = 'keyward_';

export type CacheLookupResult = 'hit' | 'miss' | 'stale';
export type LoginOutcome = 'success' | 'failure' | 'locked';
export type RateLimiterName = 'key' | 'client' | 'source';

/**
 * Prometheus instruments of one application instance. It owns its registry instead of prom-client's
 * global one, so several instances in one process (the e2e tests) neither collide nor share counts.
 * The recording methods run on hot paths, so they reuse label children bound once per value.
 */
@Injectable()
export class Metrics {
  private readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  private readonly verifications = new LabelledCounter(
    this.counter('verifications_total', 'Key verifications by outcome (VALID or the failure code)', 'outcome'),
  );
  private readonly verifyDuration = new Histogram({
    name: `${PREFIX}verify_duration_seconds`,
    help: 'Time to verify one key, cache hits and misses alike',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  private readonly cacheLookups = new LabelledCounter(
    this.counter('key_cache_lookups_total', 'Key cache lookups: hit, miss (database load) or stale (served while the database is down)', 'result'),
    ['hit', 'miss', 'stale'],
  );
  private readonly usageFlushRows = this.counter('usage_flush_rows_total', 'Hourly usage rows written by the usage recorder');
  private readonly usageFlushFailures = this.counter('usage_flush_failures_total', 'Usage flushes that failed (kept for the next flush)');
  private readonly auditBatchSize = new Histogram({
    name: `${PREFIX}audit_batch_size`,
    help: 'Audit records written per batch',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
  private readonly auditBatchFailures = this.counter('audit_batch_failures_total', 'Audit batches that failed to write');
  private readonly logins = new LabelledCounter(this.counter('logins_total', 'Password sign-ins by outcome', 'outcome'), [
    'success',
    'failure',
    'locked',
  ]);
  private readonly rateLimits = new LabelledCounter(
    this.counter('rate_limited_total', 'Requests refused by a rate limiter (per key, per client address, per source)', 'limiter'),
    ['key', 'client', 'source'],
  );
  private readonly securityEvents = new LabelledCounter(this.counter('security_events_total', 'Security events by type', 'type'));
  private readonly redisGauge = new Gauge({
    name: `${PREFIX}redis_up`,
    help: '1 while the Redis command connection is ready; 0 when it is down or Redis is not configured',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  verification(outcome: string, seconds: number): void {
    this.verifications.inc(outcome);
    this.verifyDuration.observe(seconds);
  }

  cacheLookup(result: CacheLookupResult): void {
    this.cacheLookups.inc(result);
  }

  usageFlushed(rows: number): void {
    this.usageFlushRows.inc(rows);
  }

  usageFlushFailed(): void {
    this.usageFlushFailures.inc();
  }

  auditBatchWritten(size: number): void {
    this.auditBatchSize.observe(size);
  }

  auditBatchFailed(): void {
    this.auditBatchFailures.inc();
  }

  login(outcome: LoginOutcome): void {
    this.logins.inc(outcome);
  }

  rateLimited(limiter: RateLimiterName): void {
    this.rateLimits.inc(limiter);
  }

  securityEvent(type: string): void {
    this.securityEvents.inc(type);
  }

  redisUp(up: boolean): void {
    this.redisGauge.set(up ? 1 : 0);
  }

  /** The Prometheus text exposition of every instrument, default process metrics included. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private counter(name: string, help: string, label?: string): Counter {
    return new Counter({ name: `${PREFIX}${name}`, help, labelNames: label ? [label] : [], registers: [this.registry] });
  }
}

/**
 * A one-label counter whose children are bound once per value: `labels()` allocates a label object
 * and a bound function on every call. Known values are bound and zeroed up front (a child exports nothing before
 * its first inc), so their series exist from the first scrape and `increase()` counts the first event.
 */
class LabelledCounter {
  private readonly children = new Map<string, Counter.Internal>();

  constructor(
    private readonly counter: Counter,
    known: readonly string[] = [],
  ) {
    for (const value of known) this.child(value).inc(0);
  }

  inc(value: string): void {
    (this.children.get(value) ?? this.child(value)).inc();
  }

  private child(value: string): Counter.Internal {
    const child = this.counter.labels(value);
    this.children.set(value, child);
    return child;
  }
}
