import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { CatalogRepository } from './catalog.repository';
import { PermissionListDto, RoleListDto } from './dto/catalog.dto';

@ApiTags('permissions')
@Controller()
export class CatalogController {
  constructor(private readonly catalog: CatalogRepository) {}

  @Get('permissions')
  @RequirePermissions('permissions:read')
  @ApiOkResponse({ type: PermissionListDto })
  async permissions(): Promise<PermissionListDto> {
    const items = await this.catalog.listPermissions();
    return { items: items.map(({ name, category, description, builtIn }) => ({ name, category, description, builtIn })) };
  }

  @Get('roles')
  @RequirePermissions('roles:read')
  @ApiOkResponse({ type: RoleListDto })
  async roles(): Promise<RoleListDto> {
    const items = await this.catalog.listRoles();
    return { items: items.map(({ name, description, permissions, builtIn }) => ({ name, description, permissions, builtIn })) };
  }
}
