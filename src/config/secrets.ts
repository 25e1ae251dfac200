import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentVariables } from './environment';

export interface ServerSecrets {
  /** Server-side pepper for the keyed hash of API keys. */
  keyHashPepper: string;
  /** HMAC key signing user access tokens. */
  jwtSecret: string;
  /** AES-256-GCM key (32 bytes) for secrets kept server side. */
  encryptionKey: Buffer;
}

interface StoredSecrets {
  keyHashPepper: string;
  jwtSecret: string;
  encryptionKey: string;
}

const SECRETS_FILE = 'secrets.json';

/**
 * In production every secret must come from the environment. Elsewhere (the zero-setup default),
 * missing secrets are generated once and kept, mode 0600, in the data dir so restarts keep working.
 */
export function resolveSecrets(env: EnvironmentVariables): ServerSecrets {
  const fromEnv = {
    keyHashPepper: env.KEY_HASH_PEPPER,
    jwtSecret: env.JWT_SECRET,
    encryptionKey: env.SECRETS_ENCRYPTION_KEY,
  };
  if (env.NODE_ENV === 'production') {
    const missing = [
      ['KEY_HASH_PEPPER', fromEnv.keyHashPepper],
      ['JWT_SECRET', fromEnv.jwtSecret],
      ['SECRETS_ENCRYPTION_KEY', fromEnv.encryptionKey],
    ].find(([, value]) => !value);
    if (missing) throw new Error(`Invalid configuration: ${missing[0]} is required when NODE_ENV=production`);
  }
  const stored = fromEnv.keyHashPepper && fromEnv.jwtSecret && fromEnv.encryptionKey ? undefined : loadOrCreate(env.KEYWARD_DATA_DIR);
  return {
    keyHashPepper: fromEnv.keyHashPepper ?? stored!.keyHashPepper,
    jwtSecret: fromEnv.jwtSecret ?? stored!.jwtSecret,
    encryptionKey: Buffer.from(fromEnv.encryptionKey ?? stored!.encryptionKey, 'hex'),
  };
}

function loadOrCreate(dataDir: string): StoredSecrets {
  const file = join(dataDir, SECRETS_FILE);
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredSecrets>;
    if (!parsed.keyHashPepper || !parsed.jwtSecret || !/^[0-9a-f]{64}$/.test(parsed.encryptionKey ?? '')) {
      throw new Error(`Invalid configuration: ${file} is damaged; restore it or set the secrets explicitly`);
    }
    return parsed as StoredSecrets;
  }
  const secrets: StoredSecrets = {
    keyHashPepper: randomBytes(32).toString('base64url'),
    jwtSecret: randomBytes(32).toString('base64url'),
    encryptionKey: randomBytes(32).toString('hex'),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secrets;
}
