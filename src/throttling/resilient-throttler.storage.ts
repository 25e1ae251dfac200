import { Logger } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { RedisService } from '../redis/redis.service';

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Per-IP throttle counters in Redis (shared by every instance) when it is configured and up,
 * otherwise in process memory, so a Redis outage never turns into failed requests.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttling');
  private readonly memory = new ThrottlerStorageService();
  private readonly shared?: ThrottlerStorageRedisService;

  constructor(private readonly redis: RedisService) {
    if (redis.client) this.shared = new ThrottlerStorageRedisService(redis.client);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerRecord> {
    if (this.shared && this.redis.available) {
      try {
        return await this.shared.increment(`${this.redis.keyPrefix}throttle:${key}`, ttl, limit, blockDuration, throttlerName);
      } catch (error) {
        this.logger.debug(`Shared throttling unavailable: ${(error as Error).message}`);
      }
    }
    return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }
}
