/**
 * The design Keyward replaces, for contrast: each verification looks the key's row up by its
 * display prefix and runs `bcrypt.compare` (cost 10) against the stored hash. A bare node:http
 * server, so the difference measured is the hashing design, not framework overhead.
 * Env: DATABASE_URL (holding bench_bcrypt_keys), PORT.
 */
import { compare } from 'bcrypt';
import { createServer } from 'node:http';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      const { key } = JSON.parse(Buffer.concat(chunks).toString()) as { key: string };
      const { rows } = await pool.query<{ hash: string }>('SELECT hash FROM bench_bcrypt_keys WHERE start = $1', [key.slice(0, 16)]);
      const valid = rows.length > 0 && (await compare(key, rows[0].hash));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ valid }));
    })().catch(() => res.writeHead(500).end());
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
