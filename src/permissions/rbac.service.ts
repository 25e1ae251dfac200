import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { BUILT_IN_ROLES } from './built-in-roles';
import { missingPermissions } from './permission-evaluator';

/** Resolves roles to permissions and enforces the scope ceiling (nobody grants more than they hold). */
@Injectable()
export class RbacService {
  effectivePermissions(roles: readonly string[], direct: readonly string[] = []): string[] {
    const result = new Set(direct);
    for (const role of roles) for (const permission of BUILT_IN_ROLES[role] ?? []) result.add(permission);
    return [...result].sort();
  }

  assertRolesExist(roles: readonly string[]): void {
    const unknown = roles.filter((role) => !Object.hasOwn(BUILT_IN_ROLES, role));
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
