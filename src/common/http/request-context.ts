import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, Response } from 'express';
import type { Principal } from '../auth/principal';
import { requestIdOf } from './request-id';

/** Who and where a request comes from: what audit records and security events carry. */
export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
  /** Set by the authentication guard once the caller is known. */
  principal?: Principal;
}

const USER_AGENT_MAX = 512;
const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being served, if any (jobs and start-up have none). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Express middleware. Mounted after the body parser: stream callbacks run outside the context the
 * middleware entered, so anything earlier would lose it.
 */
export function requestContextMiddleware(req: Request, _res: Response, next: () => void): void {
  const userAgent = req.headers['user-agent'];
  storage.run({ requestId: requestIdOf(req), ip: req.ip, userAgent: userAgent?.slice(0, USER_AGENT_MAX) }, next);
}
