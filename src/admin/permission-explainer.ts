import { Injectable } from '@nestjs/common';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import { DomainError } from '../common/errors/domain-error';
import { intersectPermissions, isGranted, permissionCovers } from '../permissions/permission-evaluator';
import { evaluatePermissionQuery, parsePermissionQuery, PermissionQueryError } from '../permissions/permission-query';
import { RbacService } from '../permissions/rbac.service';
import { UsersRepository } from '../users/users.repository';
import type { EffectivePermissionsDto, PermissionCheckDto, PermissionCheckResponseDto } from './dto/permission-check.dto';

/** Answers what a user or key may do, and why: the same evaluation as the guard and the verifier. */
@Injectable()
export class PermissionExplainer {
  constructor(
    private readonly users: UsersRepository,
    private readonly keys: ApiKeysRepository,
    private readonly rbac: RbacService,
  ) {}

  async ofUser(userId: string): Promise<EffectivePermissionsDto> {
    const user = await this.users.findById(userId);
    if (!user) throw DomainError.notFound('User');
    return {
      type: 'user',
      id: user.id,
      permissions: this.rbac.effectivePermissions(user.roles, user.permissions),
      grants: this.rbac.grantsOf(user.roles, user.permissions),
    };
  }

  /** A key's grants, limited by what its owner holds now (as at verification). */
  async ofKey(keyId: string): Promise<EffectivePermissionsDto> {
    const key = await this.keys.findByIdForAdmin(keyId);
    if (!key) throw DomainError.notFound('API key');
    const owner = await this.users.findById(key.ownerId);
    const ownerPermissions = owner ? this.rbac.effectivePermissions(owner.roles, owner.permissions) : [];
    const keyPermissions = this.rbac.effectivePermissions(key.roles, key.permissions);
    return {
      type: 'key',
      id: key.id,
      permissions: intersectPermissions(keyPermissions, ownerPermissions),
      grants: this.rbac.grantsOf(key.roles, key.permissions),
      withheldByOwner: keyPermissions.filter((permission) => !isGranted(permission, ownerPermissions)),
    };
  }

  async check(dto: PermissionCheckDto): Promise<PermissionCheckResponseDto> {
    if ((dto.keyId === undefined) === (dto.userId === undefined)) throw DomainError.badRequest('Give exactly one of keyId and userId');
    if (!dto.permissions && dto.permissionQuery === undefined) throw DomainError.badRequest('Give permissions, permissionQuery or both');
    const subject = dto.keyId ? await this.ofKey(dto.keyId) : await this.ofUser(dto.userId!);
    const decisions = (dto.permissions ?? []).map((permission) => ({
      permission,
      granted: isGranted(permission, subject.permissions),
      grantedBy: subject.permissions.some((held) => permissionCovers(held, permission))
        ? subject.grants.filter((grant) => permissionCovers(grant.permission, permission))
        : [],
    }));
    const queryGranted = dto.permissionQuery === undefined ? undefined : evaluatePermissionQuery(this.parse(dto.permissionQuery), subject.permissions);
    return {
      ...subject,
      granted: decisions.every((d) => d.granted) && queryGranted !== false,
      decisions,
      ...(queryGranted === undefined ? {} : { queryGranted }),
    };
  }

  private parse(text: string) {
    try {
      return parsePermissionQuery(text);
    } catch (error) {
      if (error instanceof PermissionQueryError) throw DomainError.badRequest(`permissionQuery: ${error.message}`);
      throw error;
    }
  }
}
