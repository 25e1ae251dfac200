import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogController } from './catalog.controller';
import { CatalogRepository } from './catalog.repository';
import { PermissionEntity } from './entities/permission.entity';
import { RoleEntity } from './entities/role.entity';
import { RbacService } from './rbac.service';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([PermissionEntity, RoleEntity])],
  controllers: [CatalogController],
  providers: [CatalogRepository, RbacService],
  exports: [RbacService],
})
export class PermissionsModule {}
