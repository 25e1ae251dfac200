/** Key lifecycle events sent to webhooks. Security events go out as `security.<type>`, see `securityWebhookEvent`. */
export const WebhookEventType = {
  KEY_CREATED: 'key.created',
  KEY_ROLLED: 'key.rolled',
  KEY_ROTATED: 'key.rotated',
  KEY_REVOKED: 'key.revoked',
  KEY_EXPIRING: 'key.expiring',
  KEY_EXPIRED: 'key.expired',
  KEY_CREDITS_LOW: 'key.credits_low',
} as const;
export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

/** The webhook event type of a security event: `key.honeytoken_used` → `security.key.honeytoken_used`. */
export function securityWebhookEvent(securityEventType: string): string {
  return `security.${securityEventType}`;
}

/** What an emitter hands the outbox. `data` must be JSON and never hold a secret. */
export interface WebhookEvent {
  type: string;
  data: Record<string, unknown>;
}

/** The JSON body every endpoint receives; `id` is the same for every endpoint receiving the event. */
export interface WebhookPayload {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/** An event type: dot-separated lowercase words. */
export const EVENT_TYPE_PATTERN = /^[a-z_]+(\.[a-z_]+)*$/;
/** What an endpoint subscribes to: `*`, an event type, or a prefix such as `security.*`. */
export const EVENT_SUBSCRIPTION_PATTERN = /^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/;
export const EVENT_TYPE_MAX_LENGTH = 64;

/**
 * Every subscription that matches `type`: `*`, the type itself and each of its prefixes. An endpoint
 * receives the event when its subscriptions overlap this list.
 * `security.key.honeytoken_used` → `*`, `security.key.honeytoken_used`, `security.*`, `security.key.*`.
 */
export function subscriptionsMatching(type: string): string[] {
  const parts = type.split('.');
  return ['*', type, ...parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('.')}.*`)];
}
