import { Controller, Get, HttpCode, Req, Res } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { KeyVerifier } from '../api-keys/key-verifier';
import { VerifyCode } from '../api-keys/verification.types';
import { API_KEY_SECURITY, BEARER_SECURITY, Public } from '../common/auth/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { parseIp } from '../common/net/cidr';
import { PERMISSION_MAX_LENGTH, PERMISSION_PATTERN } from '../common/validation/validators';
import { AppConfig } from '../config/app-config';
import { extractCredential } from './credentials';
import { rateLimitHeaders } from './rate-limit-headers';

const MAX_REQUIRED_PERMISSIONS = 50;

/** Where each verification failure lands on the forward-auth status codes. */
const FAILURE_STATUS: Record<Exclude<VerifyCode, VerifyCode.VALID>, ErrorCode> = {
  [VerifyCode.MALFORMED]: ErrorCode.UNAUTHENTICATED,
  [VerifyCode.NOT_FOUND]: ErrorCode.UNAUTHENTICATED,
  [VerifyCode.EXPIRED]: ErrorCode.UNAUTHENTICATED,
  [VerifyCode.REVOKED]: ErrorCode.UNAUTHENTICATED,
  [VerifyCode.DISABLED]: ErrorCode.UNAUTHENTICATED,
  [VerifyCode.FORBIDDEN_IP]: ErrorCode.FORBIDDEN,
  [VerifyCode.INSUFFICIENT_PERMISSIONS]: ErrorCode.FORBIDDEN,
  [VerifyCode.USAGE_EXCEEDED]: ErrorCode.FORBIDDEN,
  [VerifyCode.RATE_LIMITED]: ErrorCode.RATE_LIMITED,
};

/**
 * Gateway forward-auth (nginx `auth_request`, Traefik ForwardAuth, Envoy ext_authz): the key being
 * checked is the credential. 204 with `X-Key-*` headers when allowed.
 */
@ApiTags('auth')
@Controller('auth')
export class ForwardAuthController {
  private readonly trustProxy: boolean;

  constructor(
    private readonly verifier: KeyVerifier,
    config: AppConfig,
  ) {
    this.trustProxy = config.http.trustProxy !== false;
  }

  @Get('check')
  @HttpCode(204)
  @Public()
  @SkipThrottle()
  @ApiSecurity(API_KEY_SECURITY)
  @ApiSecurity(BEARER_SECURITY)
  @ApiHeader({ name: 'X-Required-Permissions', required: false, description: 'Comma-separated; all are required' })
  @ApiNoContentResponse({ description: 'Allowed; X-Key-Id, X-Key-Owner and X-Key-Permissions describe the key' })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Missing, unknown, expired, revoked or disabled key' })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'IP not allowed, permission missing, or credits used up' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Rate limited; see Retry-After' })
  async check(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    const credential = extractCredential(request.headers);
    if (!credential) throw DomainError.unauthenticated('API key required');
    const result = await this.verifier.verify({
      key: credential.value,
      // Read here rather than with @Headers(), which would document the header a second time, as required.
      permissions: parseRequiredPermissions(request.headers['x-required-permissions']),
      ip: this.clientIp(request),
    });
    if (!result.valid) {
      throw new DomainError(
        FAILURE_STATUS[result.code],
        `API key refused: ${result.code}`,
        { reason: result.code },
        result.ratelimit ? rateLimitHeaders(result.ratelimit) : undefined,
      );
    }
    response.setHeader('X-Key-Id', result.keyId);
    response.setHeader('X-Key-Owner', result.ownerId);
    response.setHeader('X-Key-Permissions', result.permissions.join(','));
    if (result.ratelimit) {
      response.setHeader('RateLimit-Limit', String(result.ratelimit.limit));
      response.setHeader('RateLimit-Remaining', String(result.ratelimit.remaining));
    }
  }

  /** `X-Real-IP` (nginx) is honoured like `X-Forwarded-For` only when TRUST_PROXY is set. */
  private clientIp(request: Request): string | undefined {
    const realIp = request.headers['x-real-ip'];
    if (this.trustProxy && typeof realIp === 'string' && parseIp(realIp.trim())) return realIp.trim();
    return request.ip;
  }
}

/** Node joins a repeated custom header into one comma-separated value (the array type is the typings'). */
function parseRequiredPermissions(header: string | string[] | undefined): string[] | undefined {
  if (!header || header.length === 0) return undefined;
  const permissions = [header].flat().join(',').split(',').map((p) => p.trim()).filter(Boolean);
  if (permissions.length > MAX_REQUIRED_PERMISSIONS || permissions.some((p) => p.length > PERMISSION_MAX_LENGTH || !PERMISSION_PATTERN.test(p))) {
    throw DomainError.badRequest('X-Required-Permissions must be a comma-separated list of resource:action permissions');
  }
  return permissions;
}
