import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { CatalogService } from './catalog.service';
import { PermissionListDto, RoleListDto } from './dto/catalog.dto';

@ApiTags('permissions')
@Controller()
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('permissions')
  @RequirePermissions('permissions:read')
  @ApiOkResponse({ type: PermissionListDto })
  async permissions(): Promise<PermissionListDto> {
    return { items: await this.catalog.listPermissions() };
  }

  @Get('roles')
  @RequirePermissions('roles:read')
  @ApiOkResponse({ type: RoleListDto })
  async roles(): Promise<RoleListDto> {
    return { items: await this.catalog.listRoles() };
  }
}
