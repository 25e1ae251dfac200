import { Body, Controller, Delete, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { CatalogService } from './catalog.service';
import { PermissionResponseDto, RoleResponseDto } from './dto/catalog.dto';
import { CreatePermissionDto, CreateRoleDto, DeleteQueryDto, UpdatePermissionDto, UpdateRoleDto } from './dto/manage-catalog.dto';
import { NamePipe } from './name.pipe';

@ApiTags('admin: permissions and roles')
@ApiNotFoundResponse({ type: ErrorResponseDto })
@ApiConflictResponse({ type: ErrorResponseDto, description: 'Exists already, built in, or in use' })
@Controller('admin')
export class AdminCatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post('permissions')
  @RequirePermissions('permissions:manage')
  @ApiCreatedResponse({ type: PermissionResponseDto })
  createPermission(@CurrentPrincipal() actor: Principal, @Body() dto: CreatePermissionDto) {
    return this.catalog.createPermission(actor, dto);
  }

  @Patch('permissions/:name')
  @RequirePermissions('permissions:manage')
  @ApiOkResponse({ type: PermissionResponseDto })
  updatePermission(@CurrentPrincipal() actor: Principal, @Param('name', NamePipe) name: string, @Body() dto: UpdatePermissionDto) {
    return this.catalog.updatePermission(actor, name, dto.description);
  }

  @Delete('permissions/:name')
  @HttpCode(204)
  @RequirePermissions('permissions:manage')
  @ApiNoContentResponse()
  deletePermission(@CurrentPrincipal() actor: Principal, @Param('name', NamePipe) name: string, @Query() query: DeleteQueryDto) {
    return this.catalog.deletePermission(actor, name, query.force ?? false);
  }

  @Post('roles')
  @RequirePermissions('roles:manage')
  @ApiCreatedResponse({ type: RoleResponseDto })
  createRole(@CurrentPrincipal() actor: Principal, @Body() dto: CreateRoleDto) {
    return this.catalog.createRole(actor, dto);
  }

  @Patch('roles/:name')
  @RequirePermissions('roles:manage')
  @ApiOkResponse({ type: RoleResponseDto })
  updateRole(@CurrentPrincipal() actor: Principal, @Param('name', NamePipe) name: string, @Body() dto: UpdateRoleDto) {
    return this.catalog.updateRole(actor, name, dto);
  }

  @Delete('roles/:name')
  @HttpCode(204)
  @RequirePermissions('roles:manage')
  @ApiNoContentResponse()
  deleteRole(@CurrentPrincipal() actor: Principal, @Param('name', NamePipe) name: string, @Query() query: DeleteQueryDto) {
    return this.catalog.deleteRole(actor, name, query.force ?? false);
  }
}
