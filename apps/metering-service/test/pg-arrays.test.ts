// The array literals as Postgres itself reads them: every element comes back exactly as it went in.
import pg from 'pg';
import { scalarArray, textArray } from '../src/db/pg-arrays.js';

let db: pg.Client;
beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
afterAll(() => db.end());

const HOSTILE = [
  'plain',
  '',
  ' ',
  ' leading',
  'trailing ',
  'a,b',
  '{',
  '}',
  '{a,b}',
  '"',
  '""',
  '\\',
  '\\"',
  'x\\',
  'NULL',
  'null',
  'NuLl',
  'NULLS',
  'tab\tnew\nline\r',
  'modèle 模型 🚀',
  "it's",
  '$1::text',
  "'); DROP TABLE x; --",
  'gpt-4o-mini',
  'req-0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  '2026-11-26T14:00:00.000+01:00',
];

it('text elements (quotes, backslashes, separators, NULL, whitespace, unicode) and nulls round-trip', async () => {
  const values = [...HOSTILE, null, 'after-null'];
  const { rows } = await db.query('SELECT $1::text[] AS a', [textArray(values)]);
  expect(rows[0].a).toEqual(values);
});

it('each element alone round-trips too (no element depends on its neighbours)', async () => {
  for (const v of HOSTILE) {
    const { rows } = await db.query('SELECT $1::text[] AS a', [textArray([v])]);
    expect(rows[0].a).toEqual([v]);
  }
});

it('numbers and booleans round-trip through int, bigint and bool arrays', async () => {
  const ints = [0, 1, -1, 2_147_483_647];
  const bigs = [0, 9_007_199_254_740_991, -5];
  const bools = [true, false, true];
  const { rows } = await db.query('SELECT $1::int[] AS i, $2::bigint[]::text[] AS b, $3::bool[] AS f', [
    scalarArray(ints),
    scalarArray(bigs),
    scalarArray(bools),
  ]);
  expect(rows[0].i).toEqual(ints);
  expect(rows[0].b).toEqual(bigs.map(String));
  expect(rows[0].f).toEqual(bools);
});

it('uuids and times read as their types', async () => {
  const ids = ['0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', '00000000-0000-4000-8000-000000000001'];
  const at = ['2026-11-26T14:00:00.123Z', '2026-11-26T15:00:00.000+01:00'];
  const { rows } = await db.query('SELECT $1::uuid[]::text[] AS u, $2::timestamptz[] AS t', [
    textArray(ids),
    textArray(at),
  ]);
  expect(rows[0].u).toEqual(ids);
  expect(rows[0].t.map((d: Date) => d.toISOString())).toEqual([
    '2026-11-26T14:00:00.123Z',
    '2026-11-26T14:00:00.000Z',
  ]);
});
