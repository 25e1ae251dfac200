export const SECURITY_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type SecuritySeverity = (typeof SECURITY_SEVERITIES)[number];

/** The security events Keyward raises. */
export const SecurityEventType = {
  LOGIN_BRUTE_FORCE: 'login.brute_force',
  USER_LOCKED: 'user.locked',
  KEY_INVALID_BURST: 'key.invalid_burst',
  KEY_DISALLOWED_IP: 'key.disallowed_ip',
  KEY_HONEYTOKEN_USED: 'key.honeytoken_used',
} as const;
export type SecurityEventType = (typeof SecurityEventType)[keyof typeof SecurityEventType];

/** Each type's usual severity, used when `raise` is not told otherwise. */
export const SEVERITY_OF: Record<SecurityEventType, SecuritySeverity> = {
  [SecurityEventType.LOGIN_BRUTE_FORCE]: 'warning',
  [SecurityEventType.USER_LOCKED]: 'warning',
  [SecurityEventType.KEY_INVALID_BURST]: 'warning',
  [SecurityEventType.KEY_DISALLOWED_IP]: 'warning',
  [SecurityEventType.KEY_HONEYTOKEN_USED]: 'critical',
};

export interface SecurityEventInput {
  type: SecurityEventType;
  /** Defaults to the type's severity (`SEVERITY_OF`). */
  severity?: SecuritySeverity;
  sourceIp?: string;
  userId?: string;
  keyId?: string;
  /** Small JSON context. Never a secret: no key material, passwords or tokens. */
  details?: Record<string, unknown>;
}
