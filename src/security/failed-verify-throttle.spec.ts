import type { AppConfig } from '../config/app-config';
import type { RedisService } from '../redis/redis.service';
import { FailedVerifyThrottle } from './failed-verify-throttle';
import type { SecurityEventInput } from './security-event.types';
import type { SecurityEventsService } from './security-events.service';

const LIMIT = 3;
const WINDOW_S = 60;
const BLOCK_S = 300;
/** The start of a fixed window. */
const T0 = 1_000 * WINDOW_S * 1000;

describe('FailedVerifyThrottle (in-process)', () => {
  let raised: SecurityEventInput[];
  let throttle: FailedVerifyThrottle;

  beforeEach(() => {
    raised = [];
    const config = {
      security: {
        failedVerify: { limit: LIMIT, windowSeconds: WINDOW_S, blockSeconds: BLOCK_S },
        eventDedupeSeconds: 60,
        loginBruteForce: { threshold: 10, windowSeconds: 300 },
      },
    } as Pick<AppConfig, 'security'> as AppConfig;
    // Without Redis: counting happens synchronously in the instance.
    const redis = { client: undefined, available: false, keyPrefix: 'test:' } as Pick<RedisService, 'client' | 'available' | 'keyPrefix'> as RedisService;
    const events = { raise: (event: SecurityEventInput) => void raised.push(event) } as Pick<SecurityEventsService, 'raise'> as SecurityEventsService;
    throttle = new FailedVerifyThrottle(config, redis, events);
  });

  function fail(source: string | undefined, times: number, now: number): void {
    for (let i = 0; i < times; i++) throttle.recordFailure(source, now);
  }

  it('blocks a source once it reaches the limit within a window, not before', () => {
    fail('203.0.113.7', LIMIT - 1, T0);
    expect(throttle.blockedFor('203.0.113.7', T0)).toBeUndefined();
    expect(raised).toHaveLength(0);

    throttle.recordFailure('203.0.113.7', T0 + 1000);
    expect(throttle.blockedFor('203.0.113.7', T0 + 1000)).toBe(BLOCK_S);
    expect(throttle.blockedFor('203.0.113.7', T0 + 1500)).toBe(BLOCK_S); // partial seconds round up
    expect(raised).toEqual([
      { type: 'key.invalid_burst', sourceIp: '203.0.113.7', details: { failures: LIMIT, windowSeconds: WINDOW_S } },
    ]);
  });

  it('raises once per block, and failures during the block do not extend it', () => {
    fail('203.0.113.7', LIMIT, T0);
    fail('203.0.113.7', 10, T0 + 100_000);
    expect(raised).toHaveLength(1);
    expect(throttle.blockedFor('203.0.113.7', T0 + BLOCK_S * 1000 - 1)).toBe(1);
    expect(throttle.blockedFor('203.0.113.7', T0 + BLOCK_S * 1000)).toBeUndefined();
  });

  it('unblocks after the cool-down, with a fresh count', () => {
    fail('203.0.113.7', LIMIT, T0);
    const after = T0 + BLOCK_S * 1000;
    expect(throttle.blockedFor('203.0.113.7', after)).toBeUndefined();
    fail('203.0.113.7', LIMIT - 1, after);
    expect(throttle.blockedFor('203.0.113.7', after)).toBeUndefined();
    throttle.recordFailure('203.0.113.7', after);
    expect(throttle.blockedFor('203.0.113.7', after)).toBe(BLOCK_S);
    expect(raised).toHaveLength(2);
  });

  it('leaves other sources alone', () => {
    fail('203.0.113.7', LIMIT, T0);
    fail('198.51.100.1', LIMIT - 1, T0);
    expect(throttle.blockedFor('203.0.113.7', T0)).toBe(BLOCK_S);
    expect(throttle.blockedFor('198.51.100.1', T0)).toBeUndefined();
    expect(throttle.blockedFor('2001:db8::1', T0)).toBeUndefined();
  });

  it('starts counting afresh in each window', () => {
    const lastMoment = T0 + WINDOW_S * 1000 - 1;
    fail('203.0.113.7', LIMIT - 1, lastMoment);
    fail('203.0.113.7', LIMIT - 1, lastMoment + 1);
    expect(throttle.blockedFor('203.0.113.7', lastMoment + 1)).toBeUndefined();
    throttle.recordFailure('203.0.113.7', lastMoment + 2);
    expect(throttle.blockedFor('203.0.113.7', lastMoment + 2)).toBe(BLOCK_S);
  });

  it('never blocks an unknown source', () => {
    fail(undefined, LIMIT * 2, T0);
    expect(throttle.blockedFor(undefined, T0)).toBeUndefined();
    expect(raised).toHaveLength(0);
  });
});
