import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';
import { pruneExpiring } from './bounded-map';
import { SecurityEventType } from './security-event.types';
import { SecurityEventsService } from './security-events.service';

/**
 * One round trip per failure: an active block answers at once; otherwise INCR the source's
 * fixed-window counter (expiring with the window) and, when it reaches the limit, set the block key
 * for the cool-down. Returns [count, blockMs]: count is 0 when the source was already blocked.
 */
const RECORD_FAILURE = `
local blockMs = redis.call('PTTL', KEYS[2])
if blockMs > 0 then return {0, blockMs} end
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if count >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], count, 'PX', ARGV[3])
  return {count, tonumber(ARGV[3])}
end
return {count, 0}`;

const MAX_LOCAL_ENTRIES = 100_000;

interface WindowCounter {
  window: number;
  count: number;
  reset: number;
}

/**
 * Throttles failed verifications (unknown or malformed keys) per source IP, never per key or
 * account, so guessing cannot lock real users out. After FAILED_VERIFY_LIMIT failures within a
 * FAILED_VERIFY_WINDOW fixed window, the source is refused for FAILED_VERIFY_BLOCK.
 *
 * `blockedFor` runs on every verification and only reads this instance's map. Failures are
 * counted in Redis when available (shared by every instance, with a block key); another instance
 * learns of a block at its own first failure from that source, which the shared script answers
 * with the remaining cool-down. Without Redis, or while it is down, counting is in-process.
 */
@Injectable()
export class FailedVerifyThrottle {
  private readonly logger = new Logger(FailedVerifyThrottle.name);
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  /** Source → end of its cool-down. */
  private readonly blocked = new Map<string, number>();
  private readonly failures = new Map<string, WindowCounter>();

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
    private readonly events: SecurityEventsService,
  ) {
    this.limit = config.security.failedVerify.limit;
    this.windowMs = config.security.failedVerify.windowSeconds * 1000;
    this.blockMs = config.security.failedVerify.blockSeconds * 1000;
    redis.client?.defineCommand('keywardRecordFailedVerify', { numberOfKeys: 2, lua: RECORD_FAILURE });
  }

  /** Seconds left in this source's cool-down, or undefined when it may verify. Synchronous, no I/O. */
  blockedFor(source: string | undefined, now: number): number | undefined {
    if (source === undefined || this.blocked.size === 0) return undefined;
    const until = this.blocked.get(source);
    if (until === undefined) return undefined;
    if (until <= now) {
      this.blocked.delete(source);
      return undefined;
    }
    return Math.ceil((until - now) / 1000);
  }

  /** Counts a NOT_FOUND or MALFORMED verification from `source`. Returns at once; never throws. */
  recordFailure(source: string | undefined, now: number): void {
    if (source === undefined || this.blockedFor(source, now) !== undefined) return;
    const window = Math.floor(now / this.windowMs);
    if (this.redis.available) void this.recordShared(source, window, now);
    else this.recordLocal(source, window, now);
  }

  private async recordShared(source: string, window: number, now: number): Promise<void> {
    let count: number;
    let blockMs: number;
    try {
      const client = this.redis.client as unknown as {
        keywardRecordFailedVerify(counterKey: string, blockKey: string, windowMs: number, limit: number, blockMs: number): Promise<[number, number]>;
      };
      const prefix = this.redis.keyPrefix;
      [count, blockMs] = await client.keywardRecordFailedVerify(
        `${prefix}vf:${source}:${window}`,
        `${prefix}vf-block:${source}`,
        this.windowMs,
        this.limit,
        this.blockMs,
      );
    } catch (error) {
      this.logger.debug(`Shared failed-verify counter unavailable: ${(error as Error).message}`);
      this.recordLocal(source, window, now);
      return;
    }
    if (blockMs > 0) this.block(source, now, now + blockMs);
    // Only the call that set the block sees a count: one event per block, across instances.
    if (count >= this.limit) this.raiseBurst(source, count);
  }

  private recordLocal(source: string, window: number, now: number): void {
    let counter = this.failures.get(source);
    if (counter?.window !== window) {
      if (counter === undefined && this.failures.size >= MAX_LOCAL_ENTRIES) {
        pruneExpiring(this.failures, MAX_LOCAL_ENTRIES, now, (c) => c.reset);
      }
      counter = { window, count: 0, reset: (window + 1) * this.windowMs };
      this.failures.delete(source);
      this.failures.set(source, counter);
    }
    if (++counter.count < this.limit) return;
    this.failures.delete(source);
    this.block(source, now, now + this.blockMs);
    this.raiseBurst(source, counter.count);
  }

  private block(source: string, now: number, until: number): void {
    if (this.blocked.size >= MAX_LOCAL_ENTRIES && !this.blocked.has(source)) pruneExpiring(this.blocked, MAX_LOCAL_ENTRIES, now, (end) => end);
    this.blocked.set(source, until);
  }

  private raiseBurst(source: string, failures: number): void {
    this.events.raise({
      type: SecurityEventType.KEY_INVALID_BURST,
      sourceIp: source,
      details: { failures, windowSeconds: this.windowMs / 1000 },
    });
  }
}
