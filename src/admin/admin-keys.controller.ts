import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { ApiKeyResponseDto, ListApiKeysQueryDto } from '../api-keys/dto/api-key.dto';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { PageDto } from '../common/pagination/page.dto';

@ApiTags('admin: keys')
@Controller('admin/keys')
export class AdminKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Every owner's keys (filter with `ownerId`). */
  @Get()
  @RequirePermissions('keys:read:all')
  @ApiOkResponse({ type: PageDto(ApiKeyResponseDto) })
  list(@CurrentPrincipal() actor: Principal, @Query() query: ListApiKeysQueryDto) {
    return this.keys.list(actor, query);
  }
}
