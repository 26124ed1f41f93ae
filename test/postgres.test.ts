// Training from a real database, as a Node backend would: a PostgreSQL table read through a
// server-side cursor, one fit(source) batch per cursor read, validation from a second query.
// Needs DENSENODE_PG_URL (.ci/run starts a server with scripts/postgres.sh and sets it).
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';

const url = process.env.DENSENODE_PG_URL;
const table = `densenode_rows_${process.pid}`;

/** Rows of `query` in batches of `size`, through a cursor: the table is never in memory at once. */
async function* cursorBatches(client: pg.Client, query: string, size: number): AsyncGenerator<dn.SourceBatch> {
  const cursor = client.query(new Cursor<{ a: number; b: number; c: string; label: number }>(query));
  try {
    for (;;) {
      const rows = await cursor.read(size);
      if (rows.length === 0) return;
      // A categorical column one-hot encoded by hand; numeric columns come back as numbers.
      yield { x: rows.map((r) => [r.a, r.b, r.c === 'north' ? 1 : 0]), y: rows.map((r) => r.label) };
    }
  } finally {
    await cursor.close();
  }
}

describe.skipIf(url === undefined)('fit over a PostgreSQL cursor', () => {
  const client = new pg.Client({ connectionString: url });

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, a real, b real, c text, label int)`);
    // 3 000 rows from a known rule: label = 1 when a + b (+ 0.5 in the north) is positive.
    await client.query(
      `INSERT INTO ${table} (a, b, c, label)
       SELECT a, b, c, CASE WHEN a + b + CASE WHEN c = 'north' THEN 0.5 ELSE 0 END > 0 THEN 1 ELSE 0 END
       FROM (SELECT sin(i * 12.9898) * 2 AS a, cos(i * 78.233) * 2 AS b, CASE WHEN i % 3 = 0 THEN 'north' ELSE 'south' END AS c
             FROM generate_series(1, 3000) AS i) AS t`,
    );
  });

  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  it('learns the rule from cursor batches, re-reading the table each epoch', async () => {
    const model = dn.mlp([3, 8, 1], { seed: 2, optimizer: dn.adam({ learningRate: 0.02 }) });
    let reads = 0;
    const history = await model.fit(
      () => {
        reads++;
        return cursorBatches(client, `SELECT a, b, c, label FROM ${table} WHERE id % 5 <> 0 ORDER BY id`, 100);
      },
      { epochs: 6, validationData: () => cursorBatches(client, `SELECT a, b, c, label FROM ${table} WHERE id % 5 = 0 ORDER BY id`, 250) },
    );
    expect(reads).toBe(6);
    expect(history.epochs).toHaveLength(6);
    expect(history.epochs[5]?.valAccuracy).toBeGreaterThan(0.9);
  });

  it('a query that fails mid-run rejects fit with the database error', async () => {
    const model = dn.mlp([3, 1]);
    await expect(model.fit(() => cursorBatches(client, 'SELECT a, b, c, label FROM no_such_table', 10))).rejects.toThrow(/no_such_table/);
  });
});
