import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, IsNull, Repository, type DeepPartial } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { CursorPosition } from '../common/pagination/cursor';
import { containsPattern, keysetPage } from '../common/pagination/keyset';
import { UserEntity, type UserStatus } from './entities/user.entity';

export interface UserListFilter {
  status?: UserStatus;
  role?: string;
  /** Substring of email or name. */
  q?: string;
  after?: CursorPosition;
  limit: number;
}

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  private repo(manager?: EntityManager): Repository<UserEntity> {
    return manager ? manager.getRepository(UserEntity) : this.users;
  }

  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.repo(manager).findOneBy({ id, deletedAt: IsNull() });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email: email.toLowerCase(), deletedAt: IsNull() });
  }

  count(): Promise<number> {
    return this.users.count();
  }

  async insert(values: DeepPartial<UserEntity>, manager?: EntityManager): Promise<UserEntity> {
    try {
      return await this.repo(manager).save(this.repo(manager).create(values));
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw DomainError.conflict('A user with this email already exists');
      }
      throw error;
    }
  }

  async update(id: string, values: DeepPartial<UserEntity>, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id, deletedAt: IsNull() }, values as object);
  }

  async softDelete(id: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.repo(manager).softDelete({ id, deletedAt: IsNull() });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Counts a failed login atomically and locks the account when the count reaches `maxFailures`,
   * so parallel guesses cannot slip past the threshold.
   */
  async recordFailedLogin(id: string, maxFailures: number, lockSeconds: number, manager?: EntityManager): Promise<{ locked: boolean }> {
    const [rows] = (await this.repo(manager).query(
      `UPDATE users
          SET failed_login_count = failed_login_count + 1,
              locked_until = CASE WHEN failed_login_count + 1 >= $2
                                  THEN now() + make_interval(secs => $3) ELSE locked_until END
        WHERE id = $1
        RETURNING failed_login_count >= $2 AS locked`,
      [id, maxFailures, lockSeconds],
    )) as [Array<{ locked: boolean }>, number];
    return { locked: rows[0]?.locked === true };
  }

  async recordSuccessfulLogin(id: string, ip: string | undefined, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update(id, { failedLoginCount: 0, lockedUntil: null, lastLoginAt: () => 'now()', lastLoginIp: ip ?? null } as object);
  }

  list(filter: UserListFilter): Promise<UserEntity[]> {
    const query = keysetPage(this.users.createQueryBuilder('u'), 'u', filter.limit, filter.after);
    if (filter.status) query.andWhere('u.status = :status', { status: filter.status });
    if (filter.role) query.andWhere(':role = ANY(u.roles)', { role: filter.role });
    if (filter.q) {
      const pattern = containsPattern(filter.q);
      query.andWhere(new Brackets((b) => b.where('u.email ILIKE :pattern', { pattern }).orWhere('u.name ILIKE :pattern', { pattern })));
    }
    return query.getMany();
  }
}
