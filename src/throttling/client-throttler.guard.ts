import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { Metrics } from '../metrics/metrics.service';

/** Per-IP throttling; a refusal is the standard 429 error with `Retry-After` and `RateLimit-*`. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  // Property injection leaves ThrottlerGuard's constructor (and its injection tokens) untouched.
  @Inject(Metrics) private readonly metrics: Metrics;

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    this.metrics.rateLimited('client');
    const retryAfter = String(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
    throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many requests from this address, slow down', undefined, {
      'Retry-After': retryAfter,
      'RateLimit-Limit': String(detail.limit),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': retryAfter,
    });
  }
}
