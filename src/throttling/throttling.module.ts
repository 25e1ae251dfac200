import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { ClientThrottlerGuard } from './client-throttler.guard';
import { LOGIN_THROTTLE } from './throttling.decorators';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const ttl = config.throttle.windowSeconds * 1000;
        return {
          setHeaders: false,
          throttlers: [
            { name: 'default', ttl, limit: config.throttle.limit },
            {
              name: 'login',
              ttl,
              limit: config.throttle.loginLimit,
              skipIf: (context) => Reflect.getMetadata(LOGIN_THROTTLE, context.getHandler()) !== true,
            },
          ],
        };
      },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ClientThrottlerGuard }],
})
export class ThrottlingModule {}
