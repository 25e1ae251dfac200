import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { PageDto } from '../common/pagination/page.dto';
import { ListSecurityEventsQueryDto, SecurityEventResponseDto } from './dto/security-event.dto';
import { SecurityEventsService } from './security-events.service';

@ApiTags('admin: security')
@Controller('admin/security-events')
export class SecurityEventsController {
  constructor(private readonly events: SecurityEventsService) {}

  /** Brute force, lockouts, invalid-key bursts, disallowed IPs and honeytoken use; newest first. */
  @Get()
  @RequirePermissions('security:read')
  @ApiOkResponse({ type: PageDto(SecurityEventResponseDto) })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A query parameter is invalid or unknown' })
  list(@Query() query: ListSecurityEventsQueryDto) {
    return this.events.list(query);
  }
}
