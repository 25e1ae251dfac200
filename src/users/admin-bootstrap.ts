import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SYSTEM_ACTOR } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain-error';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';

/**
 * On the very first start (no users at all) creates the admin. A generated password is printed
 * exactly once, here; it is never stored anywhere but as a bcrypt hash.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditWriter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const { email, password: configured } = this.config.auth.bootstrapAdmin;
    const password = configured ?? randomBytes(18).toString('base64url');
    try {
      const passwordHash = await this.hasher.hash(password);
      await this.audit.transaction(async (manager, record) => {
        const admin = await this.users.insert({ email: email.toLowerCase(), name: 'Administrator', passwordHash, roles: ['admin'] }, manager);
        record({ actor: SYSTEM_ACTOR, action: 'user.created', target: { type: 'user', id: admin.id }, details: { email: admin.email, roles: admin.roles, bootstrap: true } });
      });
    } catch (error) {
      if (error instanceof DomainError) return; // another instance created it first
      throw error;
    }
    if (configured) {
      this.logger.log(`Created the admin user ${email} from KEYWARD_BOOTSTRAP_ADMIN_EMAIL/PASSWORD`);
      return;
    }
    // Deliberately printed to stdout, not through the logger's redaction: shown this once, never again.
    process.stdout.write(
      [
        '',
        '================================================================',
        ' Keyward: created the first admin user. This is shown only once.',
        `   email:    ${email}`,
        `   password: ${password}`,
        ' Sign in and change it: POST /api/v1/auth/password',
        '================================================================',
        '',
      ].join('\n') + '\n',
    );
  }
}
