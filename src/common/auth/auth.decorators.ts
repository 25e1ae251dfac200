import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorResponseDto } from '../errors/error-response.dto';
import type { Principal } from './principal';

export const PUBLIC_ROUTE = 'keyward:public';
export const REQUIRED_PERMISSIONS = 'keyward:required-permissions';
export const API_KEY_SECURITY = 'api-key';
export const BEARER_SECURITY = 'bearer';

/** Anyone may call this route, without credentials. */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), ApiExtension('x-public', true));

/**
 * The caller must be authenticated (user access token or API key) and hold every listed permission.
 * With no arguments, any authenticated caller may proceed. Routes with neither this nor `@Public()`
 * are refused by the global guard, so a forgotten declaration fails closed.
 */
export const RequirePermissions = (...permissions: string[]) =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSIONS, permissions),
    // Published so clients (and the route-coverage test) can see what each route needs.
    ApiExtension('x-required-permissions', permissions),
    ApiBearerAuth(BEARER_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
    ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Missing or invalid credentials' }),
    ApiForbiddenResponse({
      type: ErrorResponseDto,
      description: permissions.length ? `Requires: ${permissions.join(', ')}` : 'Caller not allowed',
    }),
  );

export type AuthenticatedRequest = Request & { principal?: Principal };

/** The authenticated caller, set by the global guard. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
