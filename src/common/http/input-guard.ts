import type { Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

/** Far deeper than any DTO nests, far shallower than class-transformer's recursion survives. */
export const MAX_INPUT_DEPTH = 32;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** PostgreSQL stores neither U+0000 nor unpaired UTF-16 surrogates, in text or jsonb. */
function isStorable(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);
}

/**
 * Express middleware, mounted after the body parser: what no DTO can catch is refused here, once,
 * for the parsed body and query string — nesting deep enough to overflow the stack while the
 * pipes transform it, and text the database cannot store (a 500 otherwise, often from the audit
 * record rather than the change itself).
 */
export function inputGuardMiddleware(req: Request, _res: Response, next: (error?: unknown) => void): void {
  const problem = problemIn(req.body, 'body') ?? problemIn(req.query, 'query string');
  next(problem === undefined ? undefined : DomainError.badRequest(problem));
}

/** Walks without recursion, so the check itself cannot overflow. */
function problemIn(input: unknown, where: string): string | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: input, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      if (!isStorable(value)) return `The ${where} contains text with a NUL character or an unpaired surrogate`;
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_INPUT_DEPTH) return `The ${where} is nested more than ${MAX_INPUT_DEPTH} levels deep`;
      for (const [key, child] of Object.entries(value)) {
        if (!isStorable(key)) return `The ${where} contains a field name with a NUL character or an unpaired surrogate`;
        pending.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return undefined;
}
