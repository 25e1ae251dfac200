import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { PageDto } from '../common/pagination/page.dto';
import { ApiKeysService } from './api-keys.service';
import { KeyRotationService } from './key-rotation.service';
import {
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  ListApiKeysQueryDto,
  RevokeApiKeyDto,
  RollApiKeyDto,
  UpdateApiKeyDto,
  UsageQueryDto,
  UsageResponseDto,
} from './dto/api-key.dto';

const uuid = new ParseUUIDPipe();

@ApiTags('keys')
@ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such key among those the caller may see' })
@Controller('keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly rotation: KeyRotationService,
  ) {}

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

  /** A successor with the same settings; the old key keeps working for the grace period. */
  @Post(':id/roll')
  @RequirePermissions('keys:rotate')
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto, description: "The successor; its key is in `key`, this once" })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Revoked, expired, or already rolled' })
  roll(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: RollApiKeyDto) {
    return this.rotation.roll(actor, id, dto.gracePeriodSeconds);
  }

  /** Ends a roll's grace period now: revokes the key this one was rolled from. */
  @Post(':id/revoke-previous')
  @HttpCode(200)
  @RequirePermissions('keys:rotate')
  @ApiOkResponse({ type: ApiKeyResponseDto, description: 'The revoked predecessor' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Not rolled from a key, or that key already stopped working' })
  revokePrevious(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.rotation.revokePrevious(actor, id);
  }

  /**
   * The secret of a key the scheduler rotated, once, for its owner (STORE_SECRETS_SERVER_SIDE=true);
   * destroyed by this call or when the predecessor's grace period ends.
   */
  @Post(':id/reveal')
  @HttpCode(200)
  @RequirePermissions('keys:read')
  @ApiOkResponse({ type: CreatedApiKeyResponseDto, description: 'The key is in `key`, this once' })
  reveal(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.rotation.reveal(actor, id);
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
