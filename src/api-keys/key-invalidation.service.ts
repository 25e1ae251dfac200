import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { RbacService } from '../permissions/rbac.service';
import { RedisService } from '../redis/redis.service';
import { KeyCache } from './key-cache';


interface InvalidationMessage {
  keyIds?: string[];
  ownerId?: string;
  /** Roles or permissions changed: every cached key's permissions may be stale. */
  catalog?: boolean;
}

/**
 * Evicts changed keys from this instance's cache at once and, with Redis, from every other
 * instance's through pub/sub. Without Redis (or while it is down) other instances catch up within
 * KEY_CACHE_TTL_SECONDS.
 */
@Injectable()
export class KeyInvalidation implements OnModuleInit {
  private readonly logger = new Logger(KeyInvalidation.name);
  private readonly channel: string;

  constructor(
    private readonly cache: KeyCache,
    private readonly redis: RedisService,
    private readonly rbac: RbacService,
  ) {
    this.channel = `${redis.keyPrefix}key-invalidation`;
  }

  onModuleInit(): void {
    const subscriber = this.redis.subscriber;
    if (!subscriber) return;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.applyMessage(message);
    });
    // ioredis re-subscribes by itself after a reconnect.
    subscriber.subscribe(this.channel).catch((error: Error) => this.logger.warn(`Cannot subscribe to invalidations: ${error.message}`));
  }

  keysChanged(keyIds: string[]): Promise<void> {
    return this.publish({ keyIds });
  }

  ownerChanged(ownerId: string): Promise<void> {
    return this.publish({ ownerId });
  }

  catalogChanged(): Promise<void> {
    return this.publish({ catalog: true });
  }

  private async publish(message: InvalidationMessage): Promise<void> {
    await this.apply(message);
    if (!this.redis.client) return;
    try {
      await this.redis.client.publish(this.channel, JSON.stringify(message));
    } catch (error) {
      this.logger.warn(`Invalidation not broadcast (${(error as Error).message}); other instances catch up within the cache TTL`);
    }
  }

  private applyMessage(raw: string): void {
    let message: InvalidationMessage;
    try {
      message = JSON.parse(raw) as InvalidationMessage;
    } catch {
      this.logger.warn('Ignored a malformed invalidation message');
      return;
    }
    this.apply(message).catch((error: Error) => this.logger.error(`Could not apply an invalidation: ${error.message}`));
  }

  private async apply(message: InvalidationMessage): Promise<void> {
    for (const id of message.keyIds ?? []) if (typeof id === 'string') this.cache.evictKey(id);
    if (typeof message.ownerId === 'string') this.cache.evictOwner(message.ownerId);
    if (message.catalog === true) {
      await this.rbac.reload();
      this.cache.clear();
    }
  }
}
