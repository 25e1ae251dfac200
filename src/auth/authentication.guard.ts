import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE, REQUIRED_PERMISSIONS, type AuthenticatedRequest } from '../common/auth/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { currentRequest } from '../common/http/request-context';
import { missingPermissions } from '../permissions/permission-evaluator';
import { RequestAuthenticator } from './request-authenticator';

/**
 * The one global guard: public routes pass; every other route needs a caller holding the
 * permissions it declares. A route that declares nothing is refused (fail closed).
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_PERMISSIONS, targets);
    if (!required) throw DomainError.forbidden('This route declares no permissions and is closed');

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticator.authenticate(request);
    request.principal = principal;
    const requestContext = currentRequest();
    if (requestContext) requestContext.principal = principal;
    const missing = missingPermissions(required, principal.permissions);
    if (missing.length > 0) throw DomainError.forbidden(`Missing permission: ${missing.join(', ')}`);
    return true;
  }
}
