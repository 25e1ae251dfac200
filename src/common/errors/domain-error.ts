import { ErrorCode } from './error-code';

export interface FieldError {
  field: string;
  messages: string[];
}

/**
 * The only exception services throw. Carries a code (mapped to HTTP once, in the global filter),
 * a message safe to show the caller, and optional details (never a secret).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[] | Record<string, unknown>,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(what: string): DomainError {
    return new DomainError(ErrorCode.NOT_FOUND, `${what} not found`);
  }

  static conflict(message: string): DomainError {
    return new DomainError(ErrorCode.CONFLICT, message);
  }

  static forbidden(message = 'You do not have permission to do this'): DomainError {
    return new DomainError(ErrorCode.FORBIDDEN, message);
  }

  static badRequest(message: string, details?: FieldError[]): DomainError {
    return new DomainError(details ? ErrorCode.VALIDATION_FAILED : ErrorCode.BAD_REQUEST, message, details);
  }

  static unauthenticated(message = 'Authentication required'): DomainError {
    return new DomainError(ErrorCode.UNAUTHENTICATED, message);
  }
}
