import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { UsersModule } from '../users/users.module';
import { AdminKeysController } from './admin-keys.controller';
import { PermissionCheckController } from './permission-check.controller';
import { PermissionExplainer } from './permission-explainer';

/** Admin views that compose the feature modules' services. */
@Module({
  imports: [UsersModule, ApiKeysModule],
  controllers: [AdminKeysController, PermissionCheckController],
  providers: [PermissionExplainer],
})
export class AdminModule {}
