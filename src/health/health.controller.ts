import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/auth/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { RedisService } from '../redis/redis.service';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redisHealth: RedisHealthIndicator,
    private readonly redis: RedisService,
  ) {}

  /** The process is up and serving HTTP; touches nothing else. */
  @Get('live')
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return { status: 'ok' };
  }

  /** Dependencies answer: the database (and Redis when configured). */
  @Get('ready')
  @ApiOkResponse({ schema: { example: { status: 'ok', info: { database: { status: 'up' } } } } })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto })
  async ready() {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 2000 }),
        ...(this.redis.configured ? [() => this.redisHealth.check('redis')] : []),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Not ready', error.getResponse() as Record<string, unknown>);
    }
  }
}
