import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { CreditRefillJob } from './credit-refill.job';
import { ApiKeyEntity } from './entities/api-key.entity';
import { KeyHasher } from './key-hasher';
import { KeyRateLimiter } from './key-rate-limiter';
import { KeySnapshotLoader } from './key-snapshot.loader';
import { KeyUsageQuery } from './key-usage.query';
import { KeyVerifier } from './key-verifier';
import { VerifyController } from './verify.controller';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), UsersModule],
  // VerifyController first: `POST /keys/verify` must never be shadowed by an `/:id` route.
  controllers: [VerifyController, ApiKeysController],
  providers: [ApiKeysRepository, ApiKeysService, CreditRefillJob, KeyHasher, KeyRateLimiter, KeySnapshotLoader, KeyUsageQuery, KeyVerifier],
  exports: [KeyVerifier, ApiKeysService, ApiKeysRepository, CreditRefillJob],
})
export class ApiKeysModule {}
