import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityEventEntity } from './entities/security-event.entity';
import { FailedVerifyThrottle } from './failed-verify-throttle';
import { LoginFailureMonitor } from './login-failure-monitor';
import { SecurityEventsController } from './security-events.controller';
import { SecurityEventsRepository } from './security-events.repository';
import { SecurityEventsService } from './security-events.service';

/** Security events and the detectors that raise them; global so the hot paths can report. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([SecurityEventEntity])],
  controllers: [SecurityEventsController],
  providers: [SecurityEventsRepository, SecurityEventsService, FailedVerifyThrottle, LoginFailureMonitor],
  exports: [SecurityEventsService, FailedVerifyThrottle, LoginFailureMonitor],
})
export class SecurityModule {}
