import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';
import { ClientThrottlerGuard } from './client-throttler.guard';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';
import { LOGIN_THROTTLE } from './throttling.decorators';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => {
        const ttl = config.throttle.windowSeconds * 1000;
        return {
          setHeaders: false,
          storage: new ResilientThrottlerStorage(redis),
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
