import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';

/**
 * Optional shared state across instances. Commands fail fast while Redis is down (no offline
 * queue), so callers fall back to in-process behaviour instead of stalling requests; the outage and
 * the recovery are each logged once.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** For commands. Undefined without REDIS_URL. */
  readonly client?: Redis;
  /** A second connection, for pub/sub only. */
  readonly subscriber?: Redis;
  private down = false;

  constructor(config: AppConfig) {
    if (!config.redis.url) return;
    this.client = this.connect(config.redis.url, 'commands');
    this.subscriber = this.connect(config.redis.url, 'subscriber');
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  get available(): boolean {
    return this.client?.status === 'ready';
  }

  private connect(url: string, role: string): Redis {
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    redis.on('error', (error: Error) => {
      if (role === 'commands' && !this.down) {
        this.down = true;
        this.logger.warn(`Redis unavailable (${error.message}); using in-process limits until it returns`);
      }
    });
    redis.on('ready', () => {
      if (role === 'commands' && this.down) {
        this.down = false;
        this.logger.log('Redis is back; shared limits and invalidation resumed');
      }
    });
    return redis;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.client, this.subscriber].map((redis) => redis?.quit().catch(() => redis.disconnect())));
  }
}
