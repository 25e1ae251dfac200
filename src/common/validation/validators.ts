import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength, registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';
import { isCidr } from '../net/cidr';

/** `resource:action[:qualifier]`, `resource:*` or `*`. */
export const PERMISSION_PATTERN = /^(\*|[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)+)$/;
export const PERMISSION_MAX_LENGTH = 128;
export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** What IsPermissionList accepts, as a plain check for hand-written fast paths. */
export function isPermissionList(value: unknown, maxItems: number): value is string[] {
  return (
    Array.isArray(value) &&
    value.length <= maxItems &&
    value.every((p) => typeof p === 'string' && p.length <= PERMISSION_MAX_LENGTH && PERMISSION_PATTERN.test(p))
  );
}

/**
 * May be left out, but is not nullable: `@IsOptional()` skips validation for null as well, so a null
 * would reach the service as a value (a NULL in a NOT NULL column, or a list cleared). For fields
 * whose Swagger entry is not `nullable`.
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/** A bounded list of permission names (wildcards allowed). */
export function IsPermissionList(maxItems: number): PropertyDecorator {
  return applyDecorators(
    IsArray(),
    ArrayMaxSize(maxItems),
    IsString({ each: true }),
    MaxLength(PERMISSION_MAX_LENGTH, { each: true }),
    Matches(PERMISSION_PATTERN, { each: true, message: 'each permission must look like resource:action' }),
  );
}

export function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'isCidr',
      target: target.constructor,
      propertyName: propertyKey as string,
      options: { message: 'each entry must be an IPv4 or IPv6 address or CIDR range', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && isCidr(value) },
    });
}

/** A small JSON object: bounded serialized size and nesting depth, no arrays at the top. */
export function IsSmallJsonObject(maxBytes: number, maxDepth: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'isSmallJsonObject',
      target: target.constructor,
      propertyName: propertyKey as string,
      options: { message: `$property must be a JSON object of at most ${maxBytes} bytes and depth ${maxDepth}`, ...options },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          depthOf(value) <= maxDepth &&
          Buffer.byteLength(JSON.stringify(value)) <= maxBytes,
      },
    });
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child));
    if (deepest > 16) break;
  }
  return 1 + deepest;
}
