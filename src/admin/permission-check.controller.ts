import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import { actingUserId, type Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { isGranted } from '../permissions/permission-evaluator';
import { EffectivePermissionsDto, PermissionCheckDto, PermissionCheckResponseDto } from './dto/permission-check.dto';
import { PermissionExplainer } from './permission-explainer';

/** The permission simulator: what a key or user may do, and which grant gives it. */
@ApiTags('permissions')
@ApiNotFoundResponse({ type: ErrorResponseDto })
@Controller()
export class PermissionCheckController {
  constructor(
    private readonly explainer: PermissionExplainer,
    private readonly keys: ApiKeysService,
  ) {}

  @Get('keys/:id/effective-permissions')
  @RequirePermissions('keys:read')
  @ApiOkResponse({ type: EffectivePermissionsDto })
  async keyPermissions(@CurrentPrincipal() actor: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    await this.keys.get(actor, id); // owner scope: someone else's key is a 404
    return this.explainer.ofKey(id);
  }

  @Post('admin/permissions/check')
  @HttpCode(200)
  @RequirePermissions('permissions:read')
  @ApiOkResponse({ type: PermissionCheckResponseDto })
  async check(@CurrentPrincipal() actor: Principal, @Body() dto: PermissionCheckDto) {
    // The subject's own read scope: someone else's key, or another user without users:read, is a 404.
    if (dto.keyId !== undefined && dto.userId === undefined) await this.keys.get(actor, dto.keyId);
    if (dto.userId !== undefined && dto.keyId === undefined && dto.userId !== actingUserId(actor) && !isGranted('users:read', actor.permissions)) {
      throw DomainError.notFound('User');
    }
    return this.explainer.check(dto);
  }
}
