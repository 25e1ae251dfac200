import { Injectable } from '@nestjs/common';
import { ANONYMOUS_ACTOR, SYSTEM_ACTOR, type AuditEntry } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import { LoginFailureMonitor } from '../security/login-failure-monitor';
import { SecurityEventType } from '../security/security-event.types';
import { SecurityEventsService } from '../security/security-events.service';
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
    private readonly audit: AuditWriter,
    private readonly metrics: Metrics,
    private readonly loginFailures: LoginFailureMonitor,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  /**
   * Unknown email, wrong password, disabled or expired account all answer the same 401 after one
   * bcrypt verification, so responses reveal nothing. Only a locked account says so (423).
   */
  async login(email: string, password: string, ip: string | undefined): Promise<AccessTokenResponseDto> {
    const user = await this.users.findByEmail(email.trim());
    const attempt = { email: email.trim().toLowerCase(), userId: user?.id ?? null, ip };
    if (user?.lockedUntil && user.lockedUntil > new Date()) {
      await this.refuse(attempt, 'locked');
      throw new DomainError(ErrorCode.ACCOUNT_LOCKED, 'Account locked after too many failed sign-ins; try again later', {
        lockedUntil: user.lockedUntil.toISOString(),
      });
    }
    const passwordOk = await this.hasher.verify(password, user?.passwordHash);
    if (!user) {
      await this.refuse(attempt, 'unknown_email');
      throw new DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CREDENTIALS);
    }
    if (!passwordOk) {
      const { locked } = await this.audit.transaction(async (manager, record) => {
        const result = await this.users.recordFailedLogin(user.id, this.config.auth.maxFailedLogins, this.config.auth.lockoutSeconds, manager);
        record(failedLogin(attempt, 'wrong_password'));
        if (result.locked) {
          record({ actor: SYSTEM_ACTOR, action: 'user.locked', target: { type: 'user', id: user.id }, details: { lockoutSeconds: this.config.auth.lockoutSeconds } });
        }
        return result;
      });
      this.countFailure(attempt, locked);
      if (locked) throw new DomainError(ErrorCode.ACCOUNT_LOCKED, 'Account locked after too many failed sign-ins; try again later');
      throw new DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CREDENTIALS);
    }
    if (!this.usersService.canAct(user)) {
      await this.refuse(attempt, 'disabled');
      throw new DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CREDENTIALS);
    }
    await this.audit.transaction(async (manager, record) => {
      await this.users.recordSuccessfulLogin(user.id, ip, manager);
      record({ actor: { type: 'user', id: user.id, name: user.email }, action: 'user.login', target: { type: 'user', id: user.id } });
    });
    this.metrics.login('success');
    return { ...this.tokens.issue(user.id, user.tokenVersion), tokenType: 'Bearer' };
  }

  private async refuse(attempt: LoginAttempt, reason: string): Promise<void> {
    await this.audit.record(failedLogin(attempt, reason));
    this.countFailure(attempt, false);
  }

  private countFailure(attempt: LoginAttempt, locked: boolean): void {
    this.metrics.login(locked ? 'locked' : 'failure');
    this.loginFailures.loginFailed(attempt.ip);
    if (locked) this.securityEvents.raise({ type: SecurityEventType.USER_LOCKED, sourceIp: attempt.ip, userId: attempt.userId ?? undefined });
  }
}

interface LoginAttempt {
  email: string;
  userId: string | null;
  ip: string | undefined;
}

/** The claimed identity is only a claim: the actor stays anonymous, named by the email tried. */
function failedLogin(attempt: LoginAttempt, reason: string): AuditEntry {
  return {
    actor: { ...ANONYMOUS_ACTOR, name: attempt.email },
    action: 'user.login_failed',
    target: { type: 'user', id: attempt.userId },
    outcome: 'failure',
    details: { reason },
  };
}
