import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthenticationGuard } from './authentication.guard';
import { ForwardAuthController } from './forward-auth.controller';
import { RequestAuthenticator } from './request-authenticator';

@Module({
  imports: [JwtModule.register({}), UsersModule, ApiKeysModule],
  controllers: [AuthController, ForwardAuthController],
  providers: [AuthService, AccessTokenService, RequestAuthenticator, { provide: APP_GUARD, useClass: AuthenticationGuard }],
  exports: [AccessTokenService, RequestAuthenticator],
})
export class AuthModule {}
