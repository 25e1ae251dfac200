import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
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
  check(@Body() dto: PermissionCheckDto) {
    return this.explainer.check(dto);
  }
}
