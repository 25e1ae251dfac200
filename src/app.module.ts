import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { DestinationStream } from 'pino';
import { AdminModule } from './admin/admin.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { KeyCacheModule } from './api-keys/key-cache.module';
import { AuthModule } from './auth/auth.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { ClockModule, type Clock } from './common/time/clock';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { PermissionsModule } from './permissions/permissions.module';
import { RedisModule } from './redis/redis.module';
import { SecurityModule } from './security/security.module';
import { ThrottlingModule } from './throttling/throttling.module';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** `clock` and `logDestination` are for tests (moved time, captured logs); production passes neither. */
  static register(config: AppConfig, clock?: Clock, logDestination?: DestinationStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ClockModule.register(clock),
        CryptoModule,
        LoggingModule.register(logDestination),
        MetricsModule,
        DatabaseModule,
        RedisModule,
        ScheduleModule.forRoot(),
        JobsModule,
        // Throttling registers its guard before auth's, so floods are refused before any lookup.
        ThrottlingModule,
        PermissionsModule,
        KeyCacheModule,
        UsageModule,
        AuditModule,
        SecurityModule,
        WebhooksModule,
        UsersModule,
        ApiKeysModule,
        AuthModule,
        AdminModule,
        AnalyticsModule,
        HealthModule,
      ],
    };
  }
}
