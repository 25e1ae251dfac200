import { Injectable } from '@nestjs/common';
import { KeyInvalidation } from '../api-keys/key-invalidation.service';
import { actorOf, type AuditEntry } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { actingUserId, type Principal, type UserPrincipal } from '../common/auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { decodeKeysetCursor, toPage, type Page } from '../common/pagination/cursor';
import { RbacService } from '../permissions/rbac.service';
import type { ChangePasswordDto, CreateUserDto, ListUsersQueryDto, UpdateUserDto, UserResponseDto } from './dto/user.dto';
import type { UserEntity } from './entities/user.entity';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly rbac: RbacService,
    private readonly keyInvalidation: KeyInvalidation,
    private readonly audit: AuditWriter,
  ) {}

  async create(actor: Principal, dto: CreateUserDto): Promise<UserResponseDto> {
    const roles = dto.roles ?? ['user'];
    this.rbac.assertRolesExist(roles);
    this.rbac.assertCanGrant(actor.permissions, roles);
    const values = {
      email: dto.email.toLowerCase(),
      name: dto.name,
      passwordHash: await this.hasher.hash(dto.password),
      roles,
      expiresAt: dto.expiresAt ?? null,
    };
    const user = await this.audit.transaction(async (manager, record) => {
      const created = await this.users.insert(values, manager);
      record(entry(actor, 'user.created', created.id, { email: created.email, name: created.name, roles, expiresAt: values.expiresAt }));
      return created;
    });
    return this.toResponse(user);
  }

  async get(id: string): Promise<UserResponseDto> {
    return this.toResponse(await this.require(id));
  }

  async list(query: ListUsersQueryDto): Promise<Page<UserResponseDto>> {
    const rows = await this.users.list({
      status: query.status,
      role: query.role,
      q: query.q,
      after: query.cursor ? decodeKeysetCursor(query.cursor) : undefined,
      limit: query.limit,
    });
    return toPage(rows, query.limit, (u) => ({ sort: u.createdAt.toISOString(), id: u.id }), (u) => this.toResponse(u));
  }

  async update(actor: Principal, id: string, dto: UpdateUserDto): Promise<UserResponseDto> {
    await this.require(id);
    if (dto.status === 'disabled' && id === actingUserId(actor)) {
      throw DomainError.conflict('You cannot disable your own account');
    }
    const permissions = dto.permissions && [...new Set(dto.permissions)];
    if (permissions) {
      this.rbac.assertPermissionsKnown(permissions);
      this.rbac.assertCanGrant(actor.permissions, [], permissions);
    }
    const changes = {
      ...(permissions === undefined ? {} : { permissions }),
      ...(dto.name === undefined ? {} : { name: dto.name }),
      ...(dto.status === undefined ? {} : { status: dto.status }),
      ...(dto.expiresAt === undefined ? {} : { expiresAt: dto.expiresAt }),
    };
    await this.audit.transaction(async (manager, record) => {
      await this.users.update(id, changes, manager);
      record(entry(actor, 'user.updated', id, { changes }));
    });
    // The owner's state is part of every one of their keys' verification.
    await this.keyInvalidation.ownerChanged(id);
    return this.toResponse(await this.require(id));
  }

  async setRoles(actor: Principal, id: string, roles: string[]): Promise<UserResponseDto> {
    await this.require(id);
    const unique = [...new Set(roles)];
    this.rbac.assertRolesExist(unique);
    this.rbac.assertCanGrant(actor.permissions, unique);
    await this.audit.transaction(async (manager, record) => {
      await this.users.update(id, { roles: unique }, manager);
      record(entry(actor, 'user.roles_set', id, { roles: unique }));
    });
    await this.keyInvalidation.ownerChanged(id);
    return this.get(id);
  }

  async unlock(actor: Principal, id: string): Promise<UserResponseDto> {
    await this.require(id);
    await this.audit.transaction(async (manager, record) => {
      await this.users.update(id, { failedLoginCount: 0, lockedUntil: null }, manager);
      record(entry(actor, 'user.unlocked', id, {}));
    });
    return this.get(id);
  }

  async delete(actor: Principal, id: string): Promise<void> {
    if (id === actingUserId(actor)) throw DomainError.conflict('You cannot delete your own account');
    await this.audit.transaction(async (manager, record) => {
      if (!(await this.users.softDelete(id, manager))) throw DomainError.notFound('User');
      record(entry(actor, 'user.deleted', id, {}));
    });
    await this.keyInvalidation.ownerChanged(id);
  }

  /** Changing the password ends every session: the token version moves on. */
  async changePassword(principal: Principal, dto: ChangePasswordDto): Promise<void> {
    if (principal.type !== 'user') throw DomainError.forbidden('Only a signed-in user can change a password');
    const user = await this.require(principal.id);
    if (!(await this.hasher.verify(dto.currentPassword, user.passwordHash))) {
      throw DomainError.badRequest('Current password is wrong', [{ field: 'currentPassword', messages: ['is wrong'] }]);
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    await this.audit.transaction(async (manager, record) => {
      await this.users.update(user.id, { passwordHash, tokenVersion: user.tokenVersion + 1 }, manager);
      record(entry(principal, 'user.password_changed', user.id, {}));
    });
  }

  /** The principal for an access token, or undefined when the account can no longer act. */
  async principalFor(userId: string, tokenVersion: number): Promise<UserPrincipal | undefined> {
    const user = await this.users.findById(userId);
    if (!user || user.tokenVersion !== tokenVersion || !this.canAct(user)) return undefined;
    return {
      type: 'user',
      id: user.id,
      email: user.email,
      name: user.name,
      roles: user.roles,
      permissions: this.rbac.effectivePermissions(user.roles, user.permissions),
    };
  }

  canAct(user: UserEntity, now = new Date()): boolean {
    return user.status === 'active' && (user.expiresAt === null || user.expiresAt > now);
  }

  private async require(id: string): Promise<UserEntity> {
    const user = await this.users.findById(id);
    if (!user) throw DomainError.notFound('User');
    return user;
  }

  toResponse(user: UserEntity): UserResponseDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      status: user.status,
      roles: user.roles,
      directPermissions: user.permissions,
      permissions: this.rbac.effectivePermissions(user.roles, user.permissions),
      lockedUntil: user.lockedUntil && user.lockedUntil > new Date() ? user.lockedUntil : null,
      expiresAt: user.expiresAt,
      lastLoginAt: user.lastLoginAt,
      lastLoginIp: user.lastLoginIp,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }
}

function entry(actor: Principal, action: string, userId: string, details: Record<string, unknown>): AuditEntry {
  return { actor: actorOf(actor), action, target: { type: 'user', id: userId }, details };
}
