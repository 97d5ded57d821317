// End-to-end check of Concord's PostgreSQL port through node-postgres (the `pg` package), the most used
// PostgreSQL client of Node.js. The same script passes against PostgreSQL 15.
//
// 1. Types: a row written with parameters reads back as node-postgres parses PostgreSQL's text format (int8 as a
//    string, numeric as a string, float8, boolean, timestamptz as a Date, jsonb as an object, text[] as an array,
//    bytea as a Buffer, NULL), with the fields' type OIDs; rowMode 'array'; named prepared statements reused.
// 2. Errors carry PostgreSQL's fields: a duplicate key is 23505 with its constraint, a CHECK violation 23514, a
//    missing table 42P01; the connection stays usable and a failed block answers 25P02 until ROLLBACK.
// 3. Race-free updates from a pool of 16 connections: 800 increments of one row lose none; of 16
//    version-checked updates of one version exactly one wins; REPEATABLE READ transfers retried on 40001 (and, on
//    PostgreSQL, on 40P01) conserve the total.
// 4. A multi-statement simple query returns one result per statement; LISTEN/NOTIFY delivers a notification;
//    statement_timeout cancels pg_sleep with 57014.
//
// Usage: PG_URL=postgres://concord@127.0.0.1:5433/bank node pg.js
'use strict';

const assert = require('node:assert/strict');
const { Client, Pool } = require('pg');

const url = process.env.PG_URL || 'postgres://concord@127.0.0.1:5433/postgres';

async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('the statement succeeded');
}

async function types(c) {
  await c.query('DROP TABLE IF EXISTS pg_types');
  await c.query(`CREATE TABLE pg_types (id int8 PRIMARY KEY, n numeric, f float8, ok boolean, at timestamptz,
    doc jsonb, tags text[], raw bytea, note text)`);
  const at = new Date('2026-03-04T05:06:07.123Z');
  const ins = await c.query(
    'INSERT INTO pg_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
    [9007199254740993n.toString(), '12.50', 2.5, true, at, { a: [1, 'x'], b: null }, ['red', 'green'], Buffer.from([0, 1, 255]), null],
  );
  assert.equal(ins.command, 'INSERT');
  assert.equal(ins.rowCount, 1);
  assert.deepEqual(ins.rows, [{ id: '9007199254740993' }]);
  const r = await c.query('SELECT * FROM pg_types WHERE id = $1', ['9007199254740993']);
  assert.equal(r.rows.length, 1);
  const row = r.rows[0];
  assert.equal(row.id, '9007199254740993');
  assert.equal(Number(row.n), 12.5);
  assert.equal(row.f, 2.5);
  assert.equal(row.ok, true);
  assert.ok(row.at instanceof Date, 'timestamptz reads as a Date');
  assert.equal(row.at.getTime(), at.getTime());
  assert.deepEqual(row.doc, { a: [1, 'x'], b: null });
  assert.deepEqual(row.tags, ['red', 'green']);
  assert.deepEqual(row.raw, Buffer.from([0, 1, 255]));
  assert.equal(row.note, null);
  const oids = Object.fromEntries(r.fields.map((f) => [f.name, f.dataTypeID]));
  assert.deepEqual(oids, { id: 20, n: 1700, f: 701, ok: 16, at: 1184, doc: 3802, tags: 1009, raw: 17, note: 25 });

  const arr = await c.query({ text: 'SELECT id, ok FROM pg_types', rowMode: 'array' });
  assert.deepEqual(arr.rows, [['9007199254740993', true]]);

  // A named statement is prepared once and reused with new values.
  for (let i = 1; i <= 3; i++) {
    const q = await c.query({ name: 'types-by-flag', text: 'SELECT count(*)::int AS n FROM pg_types WHERE ok = $1', values: [i % 2 === 1] });
    assert.equal(q.rows[0].n, i % 2 === 1 ? 1 : 0);
  }
  await c.query('DROP TABLE pg_types');
}

async function errors(c) {
  await c.query('DROP TABLE IF EXISTS pg_accounts');
  await c.query('CREATE TABLE pg_accounts (id text PRIMARY KEY, balance int8 NOT NULL CHECK (balance >= 0))');
  await c.query("INSERT INTO pg_accounts VALUES ('a', 10)");
  let e = await failure(c.query("INSERT INTO pg_accounts VALUES ('a', 5)"));
  assert.equal(e.code, '23505');
  assert.equal(e.constraint, 'pg_accounts_pkey');
  assert.equal(e.table, 'pg_accounts');
  e = await failure(c.query("UPDATE pg_accounts SET balance = balance - 20 WHERE id = $1", ['a']));
  assert.equal(e.code, '23514');
  assert.equal(e.constraint, 'pg_accounts_balance_check');
  e = await failure(c.query('SELECT * FROM pg_nosuch'));
  assert.equal(e.code, '42P01');
  assert.equal((await c.query("SELECT balance FROM pg_accounts WHERE id = 'a'")).rows[0].balance, '10');

  await c.query('BEGIN');
  await failure(c.query('SELECT 1/0'));
  e = await failure(c.query('SELECT 1'));
  assert.equal(e.code, '25P02');
  await c.query('ROLLBACK');
  assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
}

async function races(pool) {
  await pool.query('DROP TABLE IF EXISTS pg_counters');
  await pool.query('CREATE TABLE pg_counters (id int PRIMARY KEY, n int8 NOT NULL, version int8 NOT NULL)');
  await pool.query('INSERT INTO pg_counters VALUES (1, 0, 1)');
  const workers = 16;
  const each = 50;
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let i = 0; i < each; i++) {
      const r = await pool.query('UPDATE pg_counters SET n = n + 1 WHERE id = $1', [1]);
      assert.equal(r.rowCount, 1);
    }
  }));
  assert.equal((await pool.query('SELECT n FROM pg_counters WHERE id = 1')).rows[0].n, String(workers * each));

  // Optimistic locking: every worker read version 1; only one update of version 1 can match.
  const wins = await Promise.all(Array.from({ length: workers }, (_, w) => pool.query(
    'UPDATE pg_counters SET n = $1, version = version + 1 WHERE id = 1 AND version = $2', [w, 1],
  ).then((r) => r.rowCount)));
  assert.equal(wins.reduce((a, b) => a + b, 0), 1, `CAS winners: ${wins}`);
  assert.equal((await pool.query('SELECT version FROM pg_counters WHERE id = 1')).rows[0].version, '2');

  // Transfers between 10 accounts in REPEATABLE READ transactions, retried on 40001.
  await pool.query('DROP TABLE IF EXISTS pg_bank');
  await pool.query('CREATE TABLE pg_bank (id int PRIMARY KEY, balance int8 NOT NULL)');
  await pool.query('INSERT INTO pg_bank SELECT g, 1000 FROM generate_series(1, 10) g');
  let retries = 0;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    const c = await pool.connect();
    try {
      for (let i = 0; i < 20; i++) {
        const from = 1 + ((w + i) % 10);
        const to = 1 + ((w * 7 + i * 3 + 1) % 10);
        if (from === to) continue;
        for (;;) {
          try {
            await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
            await c.query('UPDATE pg_bank SET balance = balance - 5 WHERE id = $1', [from]);
            await c.query('UPDATE pg_bank SET balance = balance + 5 WHERE id = $1', [to]);
            await c.query('COMMIT');
            break;
          } catch (e) {
            await c.query('ROLLBACK');
            if (e.code !== '40001' && e.code !== '40P01') throw e; // PostgreSQL may also report a deadlock
            retries++;
          }
        }
      }
    } finally {
      c.release();
    }
  }));
  const total = (await pool.query('SELECT sum(balance)::int8 AS s FROM pg_bank')).rows[0].s;
  assert.equal(total, '10000', `money not conserved after ${retries} retries`);
  await pool.query('DROP TABLE pg_counters');
  await pool.query('DROP TABLE pg_bank');
}

async function protocol(c, listener) {
  const results = await c.query('SELECT 1 AS a; SELECT 2 AS b, 3 AS c');
  assert.equal(results.length, 2);
  assert.deepEqual(results[0].rows, [{ a: 1 }]);
  assert.deepEqual(results[1].rows, [{ b: 2, c: 3 }]);

  const got = new Promise((resolve) => listener.on('notification', resolve));
  await listener.query('LISTEN pg_e2e');
  await c.query("SELECT pg_notify('pg_e2e', 'hello')");
  const n = await got;
  assert.equal(n.channel, 'pg_e2e');
  assert.equal(n.payload, 'hello');

  await c.query("SET statement_timeout = '100ms'");
  const e = await failure(c.query('SELECT pg_sleep(5)'));
  assert.equal(e.code, '57014');
  await c.query('RESET statement_timeout');
}

async function main() {
  const c = new Client({ connectionString: url });
  const listener = new Client({ connectionString: url });
  const pool = new Pool({ connectionString: url, max: 16 });
  await c.connect();
  await listener.connect();
  try {
    await types(c);
    await errors(c);
    await races(pool);
    await protocol(c, listener);
    await c.query('DROP TABLE pg_accounts');
  } finally {
    await c.end();
    await listener.end();
    await pool.end();
  }
  console.log('node-postgres e2e: ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
