import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { PasswordHasher } from '../users/password-hasher';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import type { AccessTokenResponseDto } from './dto/login.dto';

const BAD_CREDENTIALS = 'Invalid email or password';

@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenService,
  ) {}

  /**
   * Unknown email, wrong password, disabled or expired account all answer the same 401 after one
   * bcrypt verification, so responses reveal nothing. Only a locked account says so (423).
   */
  async login(email: string, password: string, ip: string | undefined): Promise<AccessTokenResponseDto> {
    const user = await this.users.findByEmail(email.trim());
    if (user?.lockedUntil && user.lockedUntil > new Date()) {
      throw new DomainError(ErrorCode.ACCOUNT_LOCKED, 'Account locked after too many failed sign-ins; try again later', {
        lockedUntil: user.lockedUntil.toISOString(),
      });
    }
    const passwordOk = await this.hasher.verify(password, user?.passwordHash);
    if (!user) throw new DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CREDENTIALS);
    if (!passwordOk) {
      const { locked } = await this.users.recordFailedLogin(user.id, this.config.auth.maxFailedLogins, this.config.auth.lockoutSeconds);
      if (locked) throw new DomainError(ErrorCode.ACCOUNT_LOCKED, 'Account locked after too many failed sign-ins; try again later');
      throw new DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CREDENTIALS);
    }
    if (!this.usersService.canAct(user)) throw new DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CREDENTIALS);
    await this.users.recordSuccessfulLogin(user.id, ip);
    return { ...this.tokens.issue(user.id, user.tokenVersion), tokenType: 'Bearer' };
  }
}
