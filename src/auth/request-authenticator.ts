import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { extractCredential } from './credentials';

/** Turns a request's credential into a principal, or throws 401. */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly users: UsersService,
  ) {}

  async authenticate(request: Request): Promise<Principal> {
    const credential = extractCredential(request.headers);
    if (!credential) throw DomainError.unauthenticated();
    if (credential.kind === 'api-key') throw DomainError.unauthenticated('Invalid credentials');
    const claims = this.tokens.verify(credential.value);
    const principal = claims && (await this.users.principalFor(claims.sub, claims.ver));
    if (!principal) throw DomainError.unauthenticated('Invalid or expired access token');
    return principal;
  }
}
