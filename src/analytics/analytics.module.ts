import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsQuery } from './analytics.query';
import { AnalyticsService } from './analytics.service';

/** Read-only, fleet-wide analytics and reports for admins (`analytics:read`). */
@Module({
  controllers: [AnalyticsController],
  providers: [AnalyticsQuery, AnalyticsService],
})
export class AnalyticsModule {}
