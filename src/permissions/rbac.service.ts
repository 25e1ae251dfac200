import { Injectable, OnModuleInit } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { CatalogRepository } from './catalog.repository';
import { missingPermissions } from './permission-evaluator';

export interface PermissionGrant {
  permission: string;
  /** `direct` or `role:<name>`. */
  source: string;
}

/**
 * Resolves roles to permissions and enforces the scope ceiling (nobody grants more than they hold).
 * Roles are few and change rarely, so they are held in memory (loaded at start-up, reloaded on
 * change) and every check stays synchronous.
 */
@Injectable()
export class RbacService implements OnModuleInit {
  private roles = new Map<string, readonly string[]>();
  private known = new Set<string>();

  constructor(private readonly catalog: CatalogRepository) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  /** Re-reads roles and the permission catalog (after a change on any instance). */
  async reload(): Promise<void> {
    const [roles, permissions] = await Promise.all([this.catalog.listRoles(), this.catalog.listPermissions()]);
    this.roles = new Map(roles.map((role) => [role.name, role.permissions]));
    this.known = new Set(permissions.map((permission) => permission.name));
  }

  /**
   * Grants must name registered permissions: `*`, a catalog entry, or `resource:*` over a resource
   * the catalog has. Verification may ask about anything; it is simply not granted.
   */
  assertPermissionsKnown(permissions: readonly string[]): void {
    const unknown = permissions.filter((permission) => !this.isKnown(permission));
    if (unknown.length > 0) {
      throw DomainError.badRequest(`Unknown permission: ${unknown.join(', ')}; register it first`, [
        { field: 'permissions', messages: [`unknown permission: ${unknown.join(', ')}`] },
      ]);
    }
  }

  private isKnown(permission: string): boolean {
    if (permission === '*' || this.known.has(permission)) return true;
    if (!permission.endsWith(':*')) return false;
    const prefix = permission.slice(0, -1);
    for (const name of this.known) if (name.startsWith(prefix)) return true;
    return false;
  }

  effectivePermissions(roles: readonly string[], direct: readonly string[] = []): string[] {
    const result = new Set(direct);
    for (const role of roles) for (const permission of this.roles.get(role) ?? []) result.add(permission);
    return [...result].sort();
  }

  /**
   * Where each held permission comes from: `direct`, or `role:<name>`. Used to explain decisions;
   * `effectivePermissions` is the same set without the provenance.
   */
  grantsOf(roles: readonly string[], direct: readonly string[] = []): PermissionGrant[] {
    const grants = direct.map((permission) => ({ permission, source: 'direct' }));
    for (const role of roles) for (const permission of this.roles.get(role) ?? []) grants.push({ permission, source: `role:${role}` });
    return grants;
  }

  assertRolesExist(roles: readonly string[]): void {
    const unknown = roles.filter((role) => !this.roles.has(role));
    if (unknown.length > 0) {
      throw DomainError.badRequest(`Unknown role: ${unknown.join(', ')}`, [{ field: 'roles', messages: [`unknown role: ${unknown.join(', ')}`] }]);
    }
  }

  /** Throws 403 unless `held` covers every permission that `roles` and `direct` would grant. */
  assertCanGrant(held: readonly string[], roles: readonly string[], direct: readonly string[] = []): void {
    const missing = missingPermissions(this.effectivePermissions(roles, direct), held);
    if (missing.length > 0) {
      throw DomainError.forbidden(`You cannot grant permissions you do not hold: ${missing.join(', ')}`);
    }
  }
}
