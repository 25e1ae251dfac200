import { Injectable } from '@nestjs/common';
import { KeyInvalidation } from '../api-keys/key-invalidation.service';
import { actorOf, type AuditEntry } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import type { Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { CatalogRepository } from './catalog.repository';
import type { PermissionResponseDto, RoleResponseDto } from './dto/catalog.dto';
import type { CreatePermissionDto, CreateRoleDto, UpdateRoleDto } from './dto/manage-catalog.dto';
import type { PermissionEntity } from './entities/permission.entity';
import type { RoleEntity } from './entities/role.entity';
import { RbacService } from './rbac.service';

/** Custom permissions and roles. Built-ins are read-only; every change reaches all instances. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly rbac: RbacService,
    private readonly invalidation: KeyInvalidation,
    private readonly audit: AuditWriter,
  ) {}

  async listPermissions(): Promise<PermissionResponseDto[]> {
    return (await this.catalog.listPermissions()).map(toPermissionResponse);
  }

  async listRoles(): Promise<RoleResponseDto[]> {
    return (await this.catalog.listRoles()).map(toRoleResponse);
  }

  async createPermission(actor: Principal, dto: CreatePermissionDto): Promise<PermissionResponseDto> {
    if (await this.catalog.findPermission(dto.name)) throw DomainError.conflict(`Permission ${dto.name} already exists`);
    const values = { name: dto.name, category: dto.name.split(':')[0], description: dto.description ?? '', builtIn: false };
    const created = await this.audit.transaction(async (manager, record) => {
      const permission = await this.catalog.insertPermission(values, manager);
      record(entry(actor, 'permission.created', 'permission', dto.name, { description: values.description }));
      return permission;
    });
    await this.invalidation.catalogChanged();
    return toPermissionResponse(created);
  }

  async updatePermission(actor: Principal, name: string, description: string): Promise<PermissionResponseDto> {
    const permission = await this.requireCustomPermission(name);
    await this.audit.transaction(async (manager, record) => {
      await this.catalog.updatePermission(name, { description }, manager);
      record(entry(actor, 'permission.updated', 'permission', name, { description }));
    });
    return toPermissionResponse({ ...permission, description });
  }

  /** Refused while roles, users or keys hold it, unless forced: then removed from all in one transaction. */
  async deletePermission(actor: Principal, name: string, force: boolean): Promise<void> {
    await this.requireCustomPermission(name);
    await this.audit.transaction(async (manager, record) => {
      const holders = await this.catalog.countPermissionHolders(name, manager);
      if (holders > 0 && !force) {
        throw DomainError.conflict(`Permission ${name} is held by ${holders} roles, users or keys; pass force=true to remove it everywhere`);
      }
      if (holders > 0) await this.catalog.removePermissionEverywhere(name, manager);
      await this.catalog.deletePermission(name, manager);
      record(entry(actor, 'permission.deleted', 'permission', name, { force, holders }));
    });
    await this.invalidation.catalogChanged();
  }

  async createRole(actor: Principal, dto: CreateRoleDto): Promise<RoleResponseDto> {
    const permissions = unique(dto.permissions ?? []);
    this.assertGrantable(actor, permissions);
    if (await this.catalog.findRole(dto.name)) throw DomainError.conflict(`Role ${dto.name} already exists`);
    const values = { name: dto.name, description: dto.description ?? '', permissions, builtIn: false };
    const role = await this.audit.transaction(async (manager, record) => {
      const created = await this.catalog.insertRole(values, manager);
      record(entry(actor, 'role.created', 'role', dto.name, { description: values.description, permissions }));
      return created;
    });
    await this.invalidation.catalogChanged();
    return toRoleResponse(role);
  }

  async updateRole(actor: Principal, name: string, dto: UpdateRoleDto): Promise<RoleResponseDto> {
    const role = await this.requireCustomRole(name);
    const permissions = dto.permissions === undefined ? role.permissions : unique(dto.permissions);
    // Editing a role re-grants it to everyone holding it: the editor must hold what it keeps too.
    this.assertGrantable(actor, permissions);
    const changes = { description: dto.description ?? role.description, permissions };
    await this.audit.transaction(async (manager, record) => {
      await this.catalog.updateRole(name, changes, manager);
      record(entry(actor, 'role.updated', 'role', name, changes));
    });
    await this.invalidation.catalogChanged();
    return toRoleResponse({ ...role, ...changes });
  }

  async deleteRole(actor: Principal, name: string, force: boolean): Promise<void> {
    await this.requireCustomRole(name);
    await this.audit.transaction(async (manager, record) => {
      const holders = await this.catalog.countRoleHolders(name, manager);
      if (holders > 0 && !force) {
        throw DomainError.conflict(`Role ${name} is held by ${holders} users or keys; pass force=true to remove it everywhere`);
      }
      if (holders > 0) await this.catalog.removeRoleEverywhere(name, manager);
      await this.catalog.deleteRole(name, manager);
      record(entry(actor, 'role.deleted', 'role', name, { force, holders }));
    });
    await this.invalidation.catalogChanged();
  }

  private assertGrantable(actor: Principal, permissions: string[]): void {
    this.rbac.assertPermissionsKnown(permissions);
    this.rbac.assertCanGrant(actor.permissions, [], permissions);
  }

  private async requireCustomPermission(name: string): Promise<PermissionEntity> {
    const permission = await this.catalog.findPermission(name);
    if (!permission) throw DomainError.notFound('Permission');
    if (permission.builtIn) throw DomainError.conflict('Built-in permissions cannot be changed or deleted');
    return permission;
  }

  private async requireCustomRole(name: string): Promise<RoleEntity> {
    const role = await this.catalog.findRole(name);
    if (!role) throw DomainError.notFound('Role');
    if (role.builtIn) throw DomainError.conflict('Built-in roles cannot be changed or deleted');
    return role;
  }
}

function toPermissionResponse({ name, category, description, builtIn }: PermissionEntity): PermissionResponseDto {
  return { name, category, description, builtIn };
}

function toRoleResponse({ name, description, permissions, builtIn }: RoleEntity): RoleResponseDto {
  return { name, description, permissions, builtIn };
}

function entry(actor: Principal, action: string, targetType: string, name: string, details: Record<string, unknown>): AuditEntry {
  return { actor: actorOf(actor), action, target: { type: targetType, id: name }, details };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
