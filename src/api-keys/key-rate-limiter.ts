import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import type { RateLimitState } from './verification.types';

export interface RateLimitDecision extends RateLimitState {
  allowed: boolean;
}

/** INCR + expiry in one round trip: the counter of a fixed window, shared by every instance. */
const INCREMENT_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

const LOCAL_SWEEP_THRESHOLD = 100_000;

/**
 * Fixed-window per-key limits. In-process (synchronous, no await) without Redis; through one atomic
 * Redis script with it, falling back to the in-process counters while Redis is unavailable.
 */
@Injectable()
export class KeyRateLimiter {
  private readonly logger = new Logger(KeyRateLimiter.name);
  private readonly local = new Map<string, { window: number; count: number; reset: number }>();

  constructor(private readonly redis: RedisService) {
    redis.client?.defineCommand('keywardIncrementWindow', { numberOfKeys: 1, lua: INCREMENT_WINDOW });
  }

  consume(keyId: string, limit: number, windowSeconds: number, now: number): RateLimitDecision | Promise<RateLimitDecision> {
    const windowMs = windowSeconds * 1000;
    const window = Math.floor(now / windowMs);
    const reset = (window + 1) * windowMs;
    if (this.redis.available) return this.consumeShared(keyId, limit, windowMs, window, reset, now);
    return this.decide(this.incrementLocal(keyId, window, reset, now), limit, reset);
  }

  private async consumeShared(keyId: string, limit: number, windowMs: number, window: number, reset: number, now: number): Promise<RateLimitDecision> {
    try {
      const client = this.redis.client as unknown as { keywardIncrementWindow(key: string, ttl: number): Promise<number> };
      const count = await client.keywardIncrementWindow(`${this.redis.keyPrefix}rl:${keyId}:${window}`, windowMs);
      return this.decide(count, limit, reset);
    } catch (error) {
      this.logger.debug(`Shared rate limit unavailable: ${(error as Error).message}`);
      return this.decide(this.incrementLocal(keyId, window, reset, now), limit, reset);
    }
  }

  private incrementLocal(keyId: string, window: number, reset: number, now: number): number {
    const counter = this.local.get(keyId);
    if (counter && counter.window === window) return ++counter.count;
    if (this.local.size >= LOCAL_SWEEP_THRESHOLD) this.sweep(now);
    this.local.set(keyId, { window, count: 1, reset });
    return 1;
  }

  /** Drops counters of windows that have ended, so the map stays bounded. */
  private sweep(now: number): void {
    for (const [id, counter] of this.local) if (counter.reset <= now) this.local.delete(id);
  }

  private decide(count: number, limit: number, reset: number): RateLimitDecision {
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), reset };
  }
}
