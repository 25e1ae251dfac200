import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { PageDto } from '../common/pagination/page.dto';
import { AnalyticsService } from './analytics.service';
import { ExpiringKeyDto, ExpiringReportQueryDto } from './dto/expiring-report.dto';
import { AnalyticsOverviewDto, OverviewQueryDto } from './dto/overview.dto';

@ApiTags('analytics')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A query parameter is invalid or unknown' })
@Controller('admin')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  /** Keys by state and environment, verifications by outcome, busiest and idle keys. */
  @Get('analytics/overview')
  @RequirePermissions('analytics:read')
  @ApiOkResponse({ type: AnalyticsOverviewDto })
  overview(@Query() query: OverviewQueryDto): Promise<AnalyticsOverviewDto> {
    return this.analytics.overview(query);
  }

  /** Keys that will expire within `withinDays`, soonest first, with their owners to notify. */
  @Get('reports/expiring')
  @RequirePermissions('analytics:read')
  @ApiOkResponse({ type: PageDto(ExpiringKeyDto) })
  expiring(@Query() query: ExpiringReportQueryDto) {
    return this.analytics.expiring(query);
  }
}
