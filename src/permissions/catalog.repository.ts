import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { PermissionEntity } from './entities/permission.entity';
import { RoleEntity } from './entities/role.entity';

/** Permissions and roles as stored, and their removal from everything that holds them. */
@Injectable()
export class CatalogRepository {
  constructor(
    @InjectRepository(PermissionEntity) private readonly permissions: Repository<PermissionEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
  ) {}

  listPermissions(): Promise<PermissionEntity[]> {
    return this.permissions.find({ order: { category: 'ASC', name: 'ASC' } });
  }

  findPermission(name: string): Promise<PermissionEntity | null> {
    return this.permissions.findOneBy({ name });
  }

  insertPermission(values: Omit<PermissionEntity, 'createdAt'>, manager: EntityManager): Promise<PermissionEntity> {
    const repository = manager.getRepository(PermissionEntity);
    return repository.save(repository.create(values));
  }

  async updatePermission(name: string, values: Pick<PermissionEntity, 'description'>, manager: EntityManager): Promise<void> {
    await manager.getRepository(PermissionEntity).update({ name }, values);
  }

  async deletePermission(name: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(PermissionEntity).delete({ name });
  }

  async countPermissionHolders(name: string, manager: EntityManager): Promise<number> {
    const [row] = await manager.query(
      `SELECT (SELECT count(*) FROM roles WHERE $1 = ANY(permissions))
            + (SELECT count(*) FROM users WHERE $1 = ANY(permissions) AND deleted_at IS NULL)
            + (SELECT count(*) FROM api_keys WHERE $1 = ANY(permissions) AND deleted_at IS NULL) AS holders`,
      [name],
    );
    return Number(row.holders);
  }

  async removePermissionEverywhere(name: string, manager: EntityManager): Promise<void> {
    for (const table of ['roles', 'users', 'api_keys']) {
      await manager.query(`UPDATE ${table} SET permissions = array_remove(permissions, $1) WHERE $1 = ANY(permissions)`, [name]);
    }
  }

  listRoles(): Promise<RoleEntity[]> {
    return this.roles.find({ order: { name: 'ASC' } });
  }

  findRole(name: string): Promise<RoleEntity | null> {
    return this.roles.findOneBy({ name });
  }

  insertRole(values: Omit<RoleEntity, 'createdAt' | 'updatedAt'>, manager: EntityManager): Promise<RoleEntity> {
    const repository = manager.getRepository(RoleEntity);
    return repository.save(repository.create(values));
  }

  async updateRole(name: string, values: Pick<RoleEntity, 'description' | 'permissions'>, manager: EntityManager): Promise<void> {
    await manager.getRepository(RoleEntity).update({ name }, values);
  }

  async deleteRole(name: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(RoleEntity).delete({ name });
  }

  async countRoleHolders(name: string, manager: EntityManager): Promise<number> {
    const [row] = await manager.query(
      `SELECT (SELECT count(*) FROM users WHERE $1 = ANY(roles) AND deleted_at IS NULL)
            + (SELECT count(*) FROM api_keys WHERE $1 = ANY(roles) AND deleted_at IS NULL) AS holders`,
      [name],
    );
    return Number(row.holders);
  }

  async removeRoleEverywhere(name: string, manager: EntityManager): Promise<void> {
    for (const table of ['users', 'api_keys']) {
      await manager.query(`UPDATE ${table} SET roles = array_remove(roles, $1) WHERE $1 = ANY(roles)`, [name]);
    }
  }
}
