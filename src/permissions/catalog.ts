/** Built-in permissions: the source of truth for the seed migration's data and the README table. */
export interface PermissionDefinition {
  name: string;
  category: PermissionCategory;
  description: string;
}

export const PERMISSION_CATEGORIES = ['users', 'api_keys', 'permissions', 'monitoring', 'audit', 'system', 'analytics', 'protected'] as const;
export type PermissionCategory = (typeof PERMISSION_CATEGORIES)[number];

export const BUILT_IN_PERMISSIONS: readonly PermissionDefinition[] = [
  { name: 'users:read', category: 'users', description: 'List and view users' },
  { name: 'users:create', category: 'users', description: 'Create users' },
  { name: 'users:update', category: 'users', description: 'Update, disable, unlock users and set their roles' },
  { name: 'users:delete', category: 'users', description: 'Delete users' },
  { name: 'keys:read', category: 'api_keys', description: 'List and view own API keys and their usage' },
  { name: 'keys:read:all', category: 'api_keys', description: "See and manage every owner's API keys" },
  { name: 'keys:create', category: 'api_keys', description: 'Create API keys' },
  { name: 'keys:update', category: 'api_keys', description: 'Update API keys' },
  { name: 'keys:rotate', category: 'api_keys', description: 'Roll API keys' },
  { name: 'keys:revoke', category: 'api_keys', description: 'Revoke API keys' },
  { name: 'keys:delete', category: 'api_keys', description: 'Delete API keys' },
  { name: 'keys:verify', category: 'api_keys', description: 'Verify API keys (backend services, gateways)' },
  { name: 'permissions:read', category: 'permissions', description: 'View the permission catalog and check permissions' },
  { name: 'permissions:manage', category: 'permissions', description: 'Register and remove custom permissions' },
  { name: 'roles:read', category: 'permissions', description: 'View roles' },
  { name: 'roles:manage', category: 'permissions', description: 'Create, edit and delete custom roles' },
  { name: 'monitoring:read', category: 'monitoring', description: 'Read metrics and detailed health' },
  { name: 'security:read', category: 'monitoring', description: 'Read security events' },
  { name: 'audit:read', category: 'audit', description: 'Query the audit log and verify its chain' },
  { name: 'audit:export', category: 'audit', description: 'Export the audit log' },
  { name: 'system:read', category: 'system', description: 'Read system information and job status' },
  { name: 'system:manage', category: 'system', description: 'Manage webhooks and run scheduled jobs' },
  { name: 'analytics:read', category: 'analytics', description: 'Read usage analytics and reports' },
  { name: 'protected:access', category: 'protected', description: 'Perform protected operations' },
];

export interface RoleDefinition {
  name: string;
  description: string;
  permissions: readonly string[];
}

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  { name: 'admin', description: 'Everything', permissions: ['*'] },
  {
    name: 'user',
    description: 'Manage own API keys and read their usage',
    permissions: ['keys:read', 'keys:create', 'keys:update', 'keys:rotate', 'keys:revoke', 'keys:delete', 'permissions:read', 'roles:read'],
  },
  {
    name: 'auditor',
    description: 'Read audit log, analytics and security events',
    permissions: ['audit:read', 'audit:export', 'analytics:read', 'security:read', 'permissions:read', 'roles:read'],
  },
  { name: 'service', description: 'Verify API keys', permissions: ['keys:verify'] },
];
