import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * On real PostgreSQL (DATABASE_URL set) every test file gets a database of its own, created here
 * and dropped afterwards, so files never see each other's rows and migrations run from scratch.
 * Without DATABASE_URL the tests use the embedded default in a temp data dir instead.
 */
export class TestDatabase {
  private constructor(
    private readonly adminUrl: string,
    private readonly name: string,
    readonly url: string,
  ) {}

  static async create(serverUrl: string): Promise<TestDatabase> {
    const name = `keyward_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    return new TestDatabase(serverUrl, name, url.toString());
  }

  async drop(): Promise<void> {
    await withClient(this.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
