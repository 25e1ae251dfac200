/** Roles every deployment has. Held as role names on users and keys. */
export const BUILT_IN_ROLES: Readonly<Record<string, readonly string[]>> = {
  admin: ['*'],
  user: ['keys:read', 'keys:create', 'keys:update', 'keys:rotate', 'keys:revoke', 'keys:delete', 'permissions:read', 'roles:read'],
  auditor: ['audit:read', 'audit:export', 'analytics:read', 'security:read', 'permissions:read', 'roles:read'],
  service: ['keys:verify'],
};
