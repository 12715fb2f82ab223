import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pgAdminUrl } from './services.ts';

/** A database of a test file's own: a fresh PostgreSQL database when available, else a PGlite directory. */
export type TestDatabase = {
  /** `DATABASE_URL` for the server, or undefined for PGlite. */
  url: string | undefined;
  /** The server's DATA_DIR (holds PGlite's files in embedded mode). */
  dataDir: string;
  /** Runs SQL directly (PostgreSQL only; tests that inspect rows use the server's ORM otherwise). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
};

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'phresh-test-'));
  if (!pgAdminUrl) {
    return {
      url: undefined,
      dataDir,
      sql: () => Promise.reject(new Error('direct SQL needs PostgreSQL')),
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `phresh_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const adminUrl = pgAdminUrl;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    url,
    dataDir,
    async sql(text, params) {
      return (await pool.query(text, params)).rows;
    },
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
