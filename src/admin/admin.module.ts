import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { UsersModule } from '../users/users.module';
import { AdminKeysController } from './admin-keys.controller';
import { PermissionCheckController } from './permission-check.controller';
import { PermissionExplainer } from './permission-explainer';
import { SystemController } from './system.controller';
import { SystemService } from './system.service';

/** Admin views that compose the feature modules' services. */
@Module({
  imports: [UsersModule, ApiKeysModule],
  controllers: [AdminKeysController, PermissionCheckController, SystemController],
  providers: [PermissionExplainer, SystemService],
})
export class AdminModule {}
