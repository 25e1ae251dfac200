import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { KeyVerifier } from '../api-keys/key-verifier';
import { parseKey } from '../api-keys/key-format';
import { VerifyCode, type VerifyResult } from '../api-keys/verification.types';
import type { KeyPrincipal, Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { extractCredential } from './credentials';
import { rateLimitHeaders } from './rate-limit-headers';

/**
 * Turns a request's credential into a principal, or throws 401: user access tokens, and API keys
 * (in `X-API-Key` or as a bearer token) through the same verifier backend teams call.
 */
@Injectable()
export class RequestAuthenticator {
  private readonly keyPrefix: string;

  constructor(
    config: AppConfig,
    private readonly tokens: AccessTokenService,
    private readonly users: UsersService,
    private readonly verifier: KeyVerifier,
  ) {
    this.keyPrefix = config.keys.prefix;
  }

  async authenticate(request: Request): Promise<Principal> {
    const credential = extractCredential(request.headers);
    if (!credential) throw DomainError.unauthenticated();
    if (credential.kind === 'api-key' || parseKey(credential.value, this.keyPrefix)) {
      return this.authenticateKey(credential.value, request.ip);
    }
    const claims = this.tokens.verify(credential.value);
    const principal = claims && (await this.users.principalFor(claims.sub, claims.ver));
    if (!principal) throw DomainError.unauthenticated('Invalid or expired access token');
    return principal;
  }

  private async authenticateKey(key: string, ip: string | undefined): Promise<KeyPrincipal> {
    const result: VerifyResult = await this.verifier.verify({ key, ip }, 'authentication');
    if (result.valid) return { type: 'key', id: result.keyId, name: result.name, ownerId: result.ownerId, permissions: result.permissions };
    if (result.code === VerifyCode.RATE_LIMITED && result.ratelimit) {
      throw new DomainError(ErrorCode.RATE_LIMITED, 'API key rate limit exceeded', { reason: result.code }, rateLimitHeaders(result.ratelimit));
    }
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid API key', { reason: result.code });
  }
}
