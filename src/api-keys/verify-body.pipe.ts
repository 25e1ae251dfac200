import { Injectable, type PipeTransform } from '@nestjs/common';
import { isIP } from 'class-validator';
import { createValidationPipe } from '../common/http/validation.pipe';
import { isPermissionList } from '../common/validation/validators';
import { PERMISSION_QUERY_MAX_LENGTH, VERIFY_KEY_MAX_LENGTH, VERIFY_MAX_PERMISSIONS, VerifyKeyDto } from './dto/verify.dto';
import type { VerifyInput } from './verification.types';

const FIELDS = new Set(['key', 'permissions', 'permissionQuery', 'ip']);

/**
 * The verify route's body check. Well-formed bodies, which gateways send thousands of times a
 * second, are recognised with a few plain checks instead of class-transformer + class-validator
 * (a sixth of the route's CPU); anything else goes through the global validation pipe against
 * VerifyKeyDto, so errors read exactly as on every other route. The fast path accepts a subset of
 * what VerifyKeyDto accepts, never more.
 */
@Injectable()
export class VerifyBodyPipe implements PipeTransform<unknown, Promise<VerifyInput>> {
  private readonly validation = createValidationPipe();

  async transform(body: unknown): Promise<VerifyInput> {
    if (isWellFormed(body)) return body;
    return (await this.validation.transform(body, { type: 'body', metatype: VerifyKeyDto })) as VerifyKeyDto;
  }
}

function isWellFormed(body: unknown): body is VerifyInput {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) return false;
  if (!Object.keys(body).every((field) => FIELDS.has(field))) return false;
  const { key, permissions, permissionQuery, ip } = body as Record<string, unknown>;
  return (
    typeof key === 'string' &&
    key.length <= VERIFY_KEY_MAX_LENGTH &&
    (permissions === undefined || isPermissionList(permissions, VERIFY_MAX_PERMISSIONS)) &&
    (permissionQuery === undefined || (typeof permissionQuery === 'string' && permissionQuery.length <= PERMISSION_QUERY_MAX_LENGTH)) &&
    (ip === undefined || (typeof ip === 'string' && isIP(ip)))
  );
}
