import { Injectable, OnModuleInit } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { CatalogRepository } from './catalog.repository';
import { missingPermissions } from './permission-evaluator';

/**
 * Resolves roles to permissions and enforces the scope ceiling (nobody grants more than they hold).
 * Roles are few and change rarely, so they are held in memory (loaded at start-up, reloaded on
 * change) and every check stays synchronous.
 */
@Injectable()
export class RbacService implements OnModuleInit {
  private roles = new Map<string, readonly string[]>();

  constructor(private readonly catalog: CatalogRepository) {}

  async onModuleInit(): Promise<void> {
    await this.reloadRoles();
  }

  async reloadRoles(): Promise<void> {
    const roles = await this.catalog.listRoles();
    this.roles = new Map(roles.map((role) => [role.name, role.permissions]));
  }

  effectivePermissions(roles: readonly string[], direct: readonly string[] = []): string[] {
    const result = new Set(direct);
    for (const role of roles) for (const permission of this.roles.get(role) ?? []) result.add(permission);
    return [...result].sort();
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
