import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { generateKey, parseKey } from '../../src/api-keys/key-format';

const BATCH = 10_000;

/**
 * Writes `count` keys straight into api_keys in batched multi-row inserts (the API mints one key
 * per request; a million that way would take the whole time budget). The rows are what the API
 * writes: HMAC-SHA256 of the plaintext under the service's pepper, display prefix and last 4.
 */
export async function seedKeys(databaseUrl: string, ownerEmail: string, pepper: string, count: number): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const [owner] = (await client.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ownerEmail])).rows;
    const keys: string[] = [];
    for (let offset = 0; offset < count; offset += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - offset) }, () => generateKey('kw', 'live', 32));
      const parsed = batch.map((key) => parseKey(key, 'kw')!);
      await client.query(
        `INSERT INTO api_keys (owner_id, name, environment, hash, hash_algorithm, start, last4, permissions)
         SELECT $1, 'bench ' || n, 'live', hash, 'sha256', start, last4, '{keys:read}'
         FROM unnest($2::bytea[], $3::varchar[], $4::varchar[]) WITH ORDINALITY AS t(hash, start, last4, n)`,
        [
          owner.id,
          batch.map((key) => createHmac('sha256', pepper).update(key).digest()),
          parsed.map((p) => p.start),
          parsed.map((p) => p.last4),
        ],
      );
      keys.push(...batch);
    }
    await client.query('ANALYZE api_keys');
    return keys;
  } finally {
    await client.end();
  }
}
