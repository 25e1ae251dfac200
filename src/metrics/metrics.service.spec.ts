import { Metrics } from './metrics.service';

/** The value of one sample line (`name{labels} value`), or undefined when it is not exported. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Metrics', () => {
  it('keeps separate registries, so two instances in one process neither collide nor share counts', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.verification('VALID', 0.0003);
    a.verification('VALID', 0.002);
    a.verification('NOT_FOUND', 0.0001);

    const textA = await a.render();
    const textB = await b.render();
    expect(sample(textA, 'keyward_verifications_total{outcome="VALID"}')).toBe(2);
    expect(sample(textA, 'keyward_verifications_total{outcome="NOT_FOUND"}')).toBe(1);
    expect(sample(textA, 'keyward_verify_duration_seconds_count')).toBe(3);
    expect(sample(textA, 'keyward_verify_duration_seconds_bucket{le="0.0005"}')).toBe(2);
    expect(sample(textB, 'keyward_verifications_total{outcome="VALID"}')).toBeUndefined();
    expect(sample(textB, 'keyward_verify_duration_seconds_count')).toBe(0);
  });

  it('moves every instrument, exports known label values from zero, and includes process metrics', async () => {
    const metrics = new Metrics();
    expect(sample(await metrics.render(), 'keyward_logins_total{outcome="locked"}')).toBe(0);

    metrics.cacheLookup('hit');
    metrics.cacheLookup('hit');
    metrics.usageFlushed(7);
    metrics.usageFlushed(3);
    metrics.usageFlushFailed();
    metrics.auditBatchWritten(40);
    metrics.auditBatchFailed();
    metrics.login('failure');
    metrics.rateLimited('client');
    metrics.securityEvent('HONEYTOKEN_USED');
    metrics.redisUp(true);

    const text = await metrics.render();
    expect(sample(text, 'keyward_key_cache_lookups_total{result="hit"}')).toBe(2);
    expect(sample(text, 'keyward_key_cache_lookups_total{result="miss"}')).toBe(0);
    expect(sample(text, 'keyward_usage_flush_rows_total')).toBe(10);
    expect(sample(text, 'keyward_usage_flush_failures_total')).toBe(1);
    expect(sample(text, 'keyward_audit_batch_size_sum')).toBe(40);
    expect(sample(text, 'keyward_audit_batch_failures_total')).toBe(1);
    expect(sample(text, 'keyward_logins_total{outcome="failure"}')).toBe(1);
    expect(sample(text, 'keyward_rate_limited_total{limiter="client"}')).toBe(1);
    expect(sample(text, 'keyward_security_events_total{type="HONEYTOKEN_USED"}')).toBe(1);
    expect(sample(text, 'keyward_redis_up')).toBe(1);
    expect(text).toContain('# TYPE keyward_process_cpu_user_seconds_total counter');

    metrics.redisUp(false);
    expect(sample(await metrics.render(), 'keyward_redis_up')).toBe(0);
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });
});
