import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { Metrics } from './metrics.service';

/** Prometheus scrape endpoint, outside the API prefix; scrapers authenticate with an API key. */
@ApiTags('monitoring')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  // Scrapers call from one address at a fixed interval; per-IP throttling would only cost samples.
  @SkipThrottle()
  @RequirePermissions('monitoring:read')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  render(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.metrics.contentType);
    return this.metrics.render();
  }
}
