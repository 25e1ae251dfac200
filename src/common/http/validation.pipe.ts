import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, type FieldError } from '../errors/domain-error';

/** Flattens nested class-validator errors into `{ field: 'a.b', messages }` entries. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** Unknown fields are rejected, payloads are transformed to DTO instances, errors carry field details. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      return DomainError.badRequest(details.flatMap((d) => d.messages).join('; ').slice(0, 1000), details);
    },
  });
}
