import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { CreditRefillJob } from './credit-refill.job';
import { ApiKeyEntity } from './entities/api-key.entity';
import { KeyHasher } from './key-hasher';
import { KeyExpiryJob, KeyRotationJob, StaleKeyJob } from './key-jobs';
import { KeyLifecycleService } from './key-lifecycle.service';
import { KeyRateLimiter } from './key-rate-limiter';
import { KeyRotationService } from './key-rotation.service';
import { KeySnapshotLoader } from './key-snapshot.loader';
import { KeyUsageQuery } from './key-usage.query';
import { KeyVerifier } from './key-verifier';
import { VerifyController } from './verify.controller';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), UsersModule],
  // VerifyController first: `POST /keys/verify` must never be shadowed by an `/:id` route.
  controllers: [VerifyController, ApiKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    KeyRotationService,
    KeyLifecycleService,
    CreditRefillJob,
    KeyRotationJob,
    KeyExpiryJob,
    StaleKeyJob,
    KeyHasher,
    KeyRateLimiter,
    KeySnapshotLoader,
    KeyUsageQuery,
    KeyVerifier,
  ],
  exports: [KeyVerifier, ApiKeysService, ApiKeysRepository],
})
export class ApiKeysModule {}
