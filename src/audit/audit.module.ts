import { Global, Module } from '@nestjs/common';
import { AuditBatcher } from './audit-batcher';
import { AuditChainVerifier } from './audit-chain.verifier';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditWriter } from './audit.writer';
import { RetentionJob } from './retention.job';

/** Global: every module that changes something records it through AuditWriter. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditWriter, AuditBatcher, AuditRepository, AuditService, AuditChainVerifier, RetentionJob],
  exports: [AuditWriter, AuditBatcher, RetentionJob],
})
export class AuditModule {}
