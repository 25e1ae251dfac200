import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../../database/connection-errors';
import { DomainError } from '../errors/domain-error';
import { ErrorCode, httpStatusOf } from '../errors/error-code';
import type { ErrorResponseDto } from '../errors/error-response.dto';
import { requestIdOf } from './request-id';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_REQUEST,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

interface Mapped {
  status: number;
  message: string;
  code?: ErrorCode;
  details?: unknown;
  headers?: Record<string, string>;
}

/** Maps every error to SPEC §11's shape; only unexpected errors are logged (once) and become 500. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const mapped = this.map(exception);
    if (mapped.status >= 500 && mapped.code !== ErrorCode.SERVICE_UNAVAILABLE) {
      this.logger.error({ err: exception, requestId: requestIdOf(request) }, 'Unhandled error');
    }
    if (response.headersSent) return;
    const body: ErrorResponseDto = {
      statusCode: mapped.status,
      error: STATUS_TEXT[mapped.status] ?? 'Error',
      message: mapped.message,
      code: mapped.code ?? CODE_BY_STATUS[mapped.status],
      requestId: requestIdOf(request),
      ...(mapped.details === undefined ? {} : { details: mapped.details }),
    };
    for (const [name, value] of Object.entries(mapped.headers ?? {})) response.setHeader(name, value);
    response.status(mapped.status).json(body);
  }

  private map(exception: unknown): Mapped {
    if (exception instanceof DomainError) {
      return {
        status: httpStatusOf(exception.code),
        message: exception.message,
        code: exception.code,
        details: exception.details,
        headers: exception.headers,
      };
    }
    if (exception instanceof ThrottlerException) {
      return { status: 429, message: 'Too many requests, slow down', code: ErrorCode.RATE_LIMITED };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const message =
        typeof payload === 'string' ? payload : String((payload as { message?: unknown }).message ?? exception.message);
      return { status, message: status === 404 ? 'Route not found' : message };
    }
    // body-parser and other Express middleware errors carry an HTTP status of their own.
    const status = (exception as { status?: unknown; type?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (exception as { type?: string }).type;
      if (type === 'entity.too.large') return { status: 413, message: 'Request body is too large' };
      if (type === 'entity.parse.failed') return { status: 400, message: 'Request body is not valid JSON' };
      return { status, message: STATUS_TEXT[status] ?? 'Bad request' };
    }
    if (isDatabaseUnavailable(exception)) {
      return { status: 503, message: 'Database unavailable, try again shortly', code: ErrorCode.SERVICE_UNAVAILABLE };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error', code: ErrorCode.INTERNAL };
  }
}
