import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { PageDto } from '../common/pagination/page.dto';
import { CreateUserDto, ListUsersQueryDto, SetUserRolesDto, UpdateUserDto, UserResponseDto } from './dto/user.dto';
import { UsersService } from './users.service';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('admin: users')
@ApiNotFoundResponse({ type: ErrorResponseDto })
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermissions('users:read')
  @ApiOkResponse({ type: PageDto(UserResponseDto) })
  list(@Query() query: ListUsersQueryDto) {
    return this.users.list(query);
  }

  @Post()
  @RequirePermissions('users:create')
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Email already in use' })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateUserDto) {
    return this.users.create(actor, dto);
  }

  @Get(':id')
  @RequirePermissions('users:read')
  @ApiOkResponse({ type: UserResponseDto })
  get(@Param('id', uuid) id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @RequirePermissions('users:update')
  @ApiOkResponse({ type: UserResponseDto })
  update(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: UpdateUserDto) {
    return this.users.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('users:delete')
  @ApiNoContentResponse()
  delete(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.users.delete(actor, id);
  }

  @Post(':id/unlock')
  @HttpCode(200)
  @RequirePermissions('users:update')
  @ApiOkResponse({ type: UserResponseDto })
  unlock(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.users.unlock(actor, id);
  }

  @Put(':id/roles')
  @RequirePermissions('users:update')
  @ApiOkResponse({ type: UserResponseDto })
  setRoles(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: SetUserRolesDto) {
    return this.users.setRoles(actor, id, dto.roles);
  }
}
