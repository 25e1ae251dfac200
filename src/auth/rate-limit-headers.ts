import type { RateLimitState } from '../api-keys/verification.types';

/** `Retry-After` plus the IETF `RateLimit-*` headers (reset in seconds from now). */
export function rateLimitHeaders(state: RateLimitState, now = Date.now()): Record<string, string> {
  const resetSeconds = String(Math.max(1, Math.ceil((state.reset - now) / 1000)));
  return {
    'Retry-After': resetSeconds,
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': resetSeconds,
  };
}
