import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../common/auth/auth.decorators';
import { SystemInfoDto } from './dto/system-info.dto';
import { SystemService } from './system.service';

@ApiTags('admin: system')
@Controller('admin/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get()
  @RequirePermissions('system:read')
  @ApiOkResponse({ type: SystemInfoDto })
  info(): Promise<SystemInfoDto> {
    return this.system.info();
  }
}
