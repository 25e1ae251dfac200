import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { PageDto } from '../common/pagination/page.dto';
import { ApiKeysService } from './api-keys.service';
import {
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  ListApiKeysQueryDto,
  RevokeApiKeyDto,
  UpdateApiKeyDto,
  UsageQueryDto,
  UsageResponseDto,
} from './dto/api-key.dto';

const uuid = new ParseUUIDPipe();

@ApiTags('keys')
@ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such key among those the caller may see' })
@Controller('keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @RequirePermissions('keys:create')
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto, description: 'The key is in `key`, this once' })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateApiKeyDto) {
    return this.keys.create(actor, dto);
  }

  @Get()
  @RequirePermissions('keys:read')
  @ApiOkResponse({ type: PageDto(ApiKeyResponseDto) })
  list(@CurrentPrincipal() actor: Principal, @Query() query: ListApiKeysQueryDto) {
    return this.keys.list(actor, query);
  }

  @Get(':id')
  @RequirePermissions('keys:read')
  @ApiOkResponse({ type: ApiKeyResponseDto })
  get(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.keys.get(actor, id);
  }

  @Patch(':id')
  @RequirePermissions('keys:update')
  @ApiOkResponse({ type: ApiKeyResponseDto })
  update(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: UpdateApiKeyDto) {
    return this.keys.update(actor, id, dto);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @RequirePermissions('keys:revoke')
  @ApiOkResponse({ type: ApiKeyResponseDto, description: 'Revoked on every instance at once' })
  revoke(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: RevokeApiKeyDto) {
    return this.keys.revoke(actor, id, dto.reason);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('keys:delete')
  @ApiNoContentResponse({ description: 'Soft-deleted (and revoked)' })
  delete(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.keys.delete(actor, id);
  }

  @Get(':id/usage')
  @RequirePermissions('keys:read')
  @ApiOkResponse({ type: UsageResponseDto })
  usage(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Query() query: UsageQueryDto) {
    return this.keys.usageOf(actor, id, query);
  }
}
