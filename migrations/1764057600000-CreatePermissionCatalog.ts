import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Data as of this migration; later catalog changes get migrations of their own. */
const PERMISSIONS: Array<[string, string, string]> = [
  ['users:read', 'users', 'List and view users'],
  ['users:create', 'users', 'Create users'],
  ['users:update', 'users', 'Update, disable, unlock users and set their roles'],
  ['users:delete', 'users', 'Delete users'],
  ['keys:read', 'api_keys', 'List and view own API keys and their usage'],
  ['keys:read:all', 'api_keys', "See and manage every owner's API keys"],
  ['keys:create', 'api_keys', 'Create API keys'],
  ['keys:update', 'api_keys', 'Update API keys'],
  ['keys:rotate', 'api_keys', 'Roll API keys'],
  ['keys:revoke', 'api_keys', 'Revoke API keys'],
  ['keys:delete', 'api_keys', 'Delete API keys'],
  ['keys:verify', 'api_keys', 'Verify API keys (backend services, gateways)'],
  ['permissions:read', 'permissions', 'View the permission catalog and check permissions'],
  ['permissions:manage', 'permissions', 'Register and remove custom permissions'],
  ['roles:read', 'permissions', 'View roles'],
  ['roles:manage', 'permissions', 'Create, edit and delete custom roles'],
  ['monitoring:read', 'monitoring', 'Read metrics and detailed health'],
  ['security:read', 'monitoring', 'Read security events'],
  ['audit:read', 'audit', 'Query the audit log and verify its chain'],
  ['audit:export', 'audit', 'Export the audit log'],
  ['system:read', 'system', 'Read system information and job status'],
  ['system:manage', 'system', 'Manage webhooks and run scheduled jobs'],
  ['analytics:read', 'analytics', 'Read usage analytics and reports'],
  ['protected:access', 'protected', 'Perform protected operations'],
];

const ROLES: Array<[string, string, string[]]> = [
  ['admin', 'Everything', ['*']],
  ['user', 'Manage own API keys and read their usage', ['keys:read', 'keys:create', 'keys:update', 'keys:rotate', 'keys:revoke', 'keys:delete', 'permissions:read', 'roles:read']],
  ['auditor', 'Read audit log, analytics and security events', ['audit:read', 'audit:export', 'analytics:read', 'security:read', 'permissions:read', 'roles:read']],
  ['service', 'Verify API keys', ['keys:verify']],
];

export class CreatePermissionCatalog1764057600000 implements MigrationInterface {
  name = 'CreatePermissionCatalog1764057600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE permissions (
        name varchar(128) PRIMARY KEY,
        category varchar(32) NOT NULL,
        description varchar(500) NOT NULL DEFAULT '',
        built_in boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE roles (
        name varchar(64) PRIMARY KEY,
        description varchar(500) NOT NULL DEFAULT '',
        permissions text[] NOT NULL DEFAULT '{}',
        built_in boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const [name, category, description] of PERMISSIONS) {
      await queryRunner.query(`INSERT INTO permissions (name, category, description, built_in) VALUES ($1, $2, $3, true)`, [name, category, description]);
    }
    for (const [name, description, permissions] of ROLES) {
      await queryRunner.query(`INSERT INTO roles (name, description, permissions, built_in) VALUES ($1, $2, $3, true)`, [name, description, permissions]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE roles`);
    await queryRunner.query(`DROP TABLE permissions`);
  }
}
