import { Logger, type ArgumentsHost } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { AllExceptionsFilter } from './all-exceptions.filter';

interface Sent {
  status?: number;
  body?: Record<string, unknown>;
}

function respond(exception: unknown): Sent {
  const sent: Sent = {};
  const response = {
    headersSent: false,
    setHeader: () => undefined,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: Record<string, unknown>) {
      sent.body = body;
    },
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ id: 'req-1' }), getResponse: () => response }),
  } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(exception, host);
  return sent;
}

function driverError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

describe('AllExceptionsFilter: database outages', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => (logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined)));
  afterEach(() => logged.mockRestore());

  it('answers 503 SERVICE_UNAVAILABLE in the one error shape when the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const terminated = new QueryFailedError('INSERT …', [], driverError('57P01', 'terminating connection due to administrator command'));
    for (const error of [refused, terminated, new Error('timeout exceeded when trying to connect')]) {
      expect(respond(error)).toEqual({
        status: 503,
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'Database unavailable, try again shortly',
          code: 'SERVICE_UNAVAILABLE',
          requestId: 'req-1',
        },
      });
    }
    // An outage is not a bug: no error log per refused request.
    expect(logged).not.toHaveBeenCalled();
  });

  it('keeps other database errors and bugs as 500 INTERNAL, without their message', () => {
    const violation = new QueryFailedError('INSERT …', [], driverError('23514', 'new row violates check constraint "secret_check"'));
    for (const error of [violation, new TypeError('x is undefined')]) {
      expect(respond(error)).toEqual({
        status: 500,
        body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', code: 'INTERNAL', requestId: 'req-1' },
      });
    }
    expect(logged).toHaveBeenCalledTimes(2);
  });
});
