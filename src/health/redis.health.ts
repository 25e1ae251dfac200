import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisService } from '../redis/redis.service';

/**
 * Redis is optional: when it is unreachable the instance keeps serving with in-process limits and
 * TTL-bounded cache staleness, so it reports degraded details instead of failing readiness.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
  ) {}

  async check(key: string) {
    const session = this.indicators.check(key);
    const connected = this.redis.available && (await this.ping());
    return session.up({ connected, ...(connected ? {} : { mode: 'in-process fallback' }) });
  }

  private async ping(): Promise<boolean> {
    try {
      return (await this.redis.client!.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
}
