import type { IncomingHttpHeaders } from 'node:http';

export type Credential = { kind: 'bearer'; value: string } | { kind: 'api-key'; value: string };

/** Longest credential we even look at; anything longer is refused unread. */
const MAX_CREDENTIAL_LENGTH = 4096;

/** Reads `X-API-Key` or `Authorization: Bearer …` (API key or access token). */
export function extractCredential(headers: IncomingHttpHeaders): Credential | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) {
    return apiKey.length <= MAX_CREDENTIAL_LENGTH ? { kind: 'api-key', value: apiKey.trim() } : undefined;
  }
  const authorization = headers.authorization;
  if (typeof authorization !== 'string' || authorization.length > MAX_CREDENTIAL_LENGTH) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
  return match ? { kind: 'bearer', value: match[1] } : undefined;
}
