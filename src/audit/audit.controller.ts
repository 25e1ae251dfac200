import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { PageDto } from '../common/pagination/page.dto';
import { Clock } from '../common/time/clock';
import { actorOf } from './audit-record';
import { AuditChainVerifier, type ChainVerification } from './audit-chain.verifier';
import { AuditService } from './audit.service';
import { AuditWriter } from './audit.writer';
import { AuditExportQueryDto, AuditQueryDto, AuditRecordDto, AuditVerificationDto, AuditVerifyQueryDto } from './dto/audit.dto';

@ApiTags('admin: audit')
@Controller('admin/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly chain: AuditChainVerifier,
    private readonly writer: AuditWriter,
    private readonly clock: Clock,
  ) {}

  /** Newest first; filters combine with AND. */
  @Get()
  @RequirePermissions('audit:read')
  @ApiOkResponse({ type: PageDto(AuditRecordDto) })
  list(@Query() query: AuditQueryDto) {
    return this.audit.list(query);
  }

  /** The whole filtered log, oldest first, streamed. The export itself is recorded (`audit.exported`). */
  @Get('export')
  @RequirePermissions('audit:export')
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'One record per line (NDJSON), or CSV with a header row' })
  async export(@CurrentPrincipal() actor: Principal, @Query() query: AuditExportQueryDto): Promise<StreamableFile> {
    const { format, ...filter } = query;
    await this.writer.record({ actor: actorOf(actor), action: 'audit.exported', target: { type: 'audit_log', id: null }, details: { format, filter } });
    const stamp = this.clock.date().toISOString().replace(/[:.]/g, '-');
    return new StreamableFile(this.audit.export(filter, format), {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="keyward-audit-${stamp}.${format}"`,
    });
  }

  /** Recomputes every hash from the oldest kept record (or `fromSeq`) and reports the first broken link. */
  @Get('verify')
  @RequirePermissions('audit:read')
  @ApiOkResponse({ type: AuditVerificationDto })
  verify(@Query() query: AuditVerifyQueryDto): Promise<ChainVerification> {
    return this.chain.verify(query.fromSeq, query.toSeq);
  }
}
