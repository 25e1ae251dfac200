import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';

/**
 * Optional shared state across instances. Commands fail fast while Redis is down (no offline
 * queue), so callers fall back to in-process behaviour instead of stalling requests; the outage and
 * the recovery are each logged once.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** For commands. Undefined without REDIS_URL. */
  readonly client?: Redis;
  /** A second connection, for pub/sub only. */
  readonly subscriber?: Redis;
  /** Prefix of every key and channel this deployment uses. */
  readonly keyPrefix: string;
  private down = false;

  constructor(
    config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.keyPrefix = config.redis.keyPrefix;
    metrics.redisUp(false);
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

  /** Gives Redis a moment to connect at start-up, so the first requests already share state. */
  async onModuleInit(): Promise<void> {
    await Promise.all([this.client, this.subscriber].map((redis) => redis && waitUntilReady(redis, 2000)));
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
        this.metrics.redisUp(false);
        this.logger.warn(`Redis unavailable (${error.message}); using in-process limits until it returns`);
      }
    });
    redis.on('ready', () => {
      if (role !== 'commands') return;
      this.metrics.redisUp(true);
      if (this.down) {
        this.down = false;
        this.logger.log('Redis is back; shared limits and invalidation resumed');
      }
    });
    return redis;
  }

  async onApplicationShutdown(): Promise<void> {
    // quit() waits for a connection that may never come back; a disconnected client just stops.
    await Promise.all(
      [this.client, this.subscriber].map((redis) =>
        redis?.status === 'ready' ? redis.quit().catch(() => redis.disconnect()) : redis?.disconnect(),
      ),
    );
  }
}

function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}
