import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminCatalogController } from './admin-catalog.controller';
import { CatalogController } from './catalog.controller';
import { CatalogRepository } from './catalog.repository';
import { CatalogService } from './catalog.service';
import { PermissionEntity } from './entities/permission.entity';
import { RoleEntity } from './entities/role.entity';
import { RbacService } from './rbac.service';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([PermissionEntity, RoleEntity])],
  controllers: [CatalogController, AdminCatalogController],
  providers: [CatalogRepository, CatalogService, RbacService],
  exports: [RbacService],
})
export class PermissionsModule {}
