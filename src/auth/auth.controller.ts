import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Public, RequirePermissions } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { LoginThrottle } from '../throttling/throttling.decorators';
import { ChangePasswordDto } from '../users/dto/user.dto';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { AccessTokenResponseDto, LoginDto, MeResponseDto } from './dto/login.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @LoginThrottle()
  @ApiOkResponse({ type: AccessTokenResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Invalid email or password' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  login(@Body() dto: LoginDto, @Ip() ip: string) {
    return this.auth.login(dto.email, dto.password, ip);
  }

  @Get('me')
  @RequirePermissions()
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentPrincipal() principal: Principal): MeResponseDto {
    return principal.type === 'user'
      ? { type: 'user', id: principal.id, name: principal.name, email: principal.email, roles: principal.roles, permissions: principal.permissions }
      : { type: 'key', id: principal.id, name: principal.name, ownerId: principal.ownerId, roles: [], permissions: principal.permissions };
  }

  @Post('password')
  @HttpCode(204)
  @RequirePermissions()
  // It checks the current password, so it gets the login route's per-IP limit (not the account lockout).
  @LoginThrottle()
  @ApiNoContentResponse({ description: 'Password changed; existing access tokens stop working' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  changePassword(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto) {
    return this.users.changePassword(principal, dto);
  }
}
