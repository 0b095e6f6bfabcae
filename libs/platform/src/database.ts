// TypeORM on Postgres: migrations only (never synchronize), statement and connect timeouts always set.
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';

export interface DatabaseOptions {
  url: string;
  /** The service's own schema: entities and the migrations table live there. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  statementTimeoutMs?: number;
}

export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    entities: opts.entities,
    migrations: opts.migrations,
    migrationsTableName: `${opts.schema}_migrations`,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 2000,
      statement_timeout: opts.statementTimeoutMs ?? 5000,
    },
  });
}

/** The schema must exist before TypeORM can create its migrations table inside it. */
export async function migrate(ds: DataSource, schema: string): Promise<string[]> {
  await ds.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const done = await ds.runMigrations({ transaction: 'each' });
  return done.map((m) => m.name);
}

/** Creates the database named in the URL when it is missing (local stacks; managed databases already have it). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const ds = new DataSource({
    type: 'postgres',
    url: admin.toString(),
    extra: { max: 1, connectionTimeoutMillis: 5000 },
  });
  await ds.initialize();
  try {
    const rows: unknown[] = await ds.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rows.length) await ds.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await ds.destroy();
  }
}

/** The body of a service's `dist/cli/migrate.js`: database if missing, then that service's migrations. */
export async function migrateFromEnv(
  service: string,
  make: (url: string) => DataSource,
  schema: string,
): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error(`${service} migrate: DATABASE_URL is required`);
  await ensureDatabase(url);
  const ds = await make(url).initialize();
  try {
    const applied = await migrate(ds, schema);
    console.error(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
  } finally {
    await ds.destroy();
  }
}
