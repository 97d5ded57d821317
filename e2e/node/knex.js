// End-to-end check of DDL in transaction blocks through Knex's migrations (knex with node-postgres), which run a
// batch of migrations in one transaction. The same script passes against PostgreSQL 15.
//
// 1. A batch whose second migration fails leaves nothing: no table of the first, no row in knex_migrations.
// 2. A batch that succeeds makes its tables (serial and bigserial keys, a unique column, a foreign key with ON
//    DELETE CASCADE, indexes, one made after the batch wrote rows), which hold their constraints afterwards.
// 3. Rolling the batch back drops its tables in one transaction.
//
// Usage: PG_URL=postgres://concord@127.0.0.1:5433/knex node knex.js
'use strict';

const assert = require('node:assert/strict');
const knexLib = require('knex');

const url = process.env.PG_URL || 'postgres://concord@127.0.0.1:5433/knex';

// source serves migrations from memory, in order.
function source(migrations) {
  return {
    getMigrations: async () => Object.keys(migrations),
    getMigrationName: (name) => name,
    getMigration: async (name) => migrations[name],
  };
}

const users = {
  up: async (knex) => {
    await knex.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('email', 254).notNullable().unique();
      t.timestamps(true, true);
    });
    await knex.schema.createTable('posts', (t) => {
      t.bigIncrements('id');
      t.integer('author_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
      t.string('title').notNullable();
      t.index(['author_id', 'title']);
    });
    await knex('users').insert({ email: 'seed@example.com' });
  },
  down: async (knex) => {
    await knex.schema.dropTable('posts');
    await knex.schema.dropTable('users');
  },
};

const broken = {
  up: async (knex) => {
    await knex.schema.createTable('audit', (t) => { t.increments('id'); t.text('what'); });
    await knex('audit').insert({ what: 'x' });
    await knex.raw('SELECT 1/0');
  },
  down: async () => {},
};

const more = {
  up: async (knex) => {
    await knex.schema.alterTable('users', (t) => { t.string('nickname').defaultTo('anon'); t.index(['nickname']); });
    await knex.schema.createTable('tags', (t) => { t.increments('id'); t.string('name').unique(); t.bigInteger('post_id').references('posts.id'); });
  },
  down: async (knex) => { await knex.schema.dropTable('tags'); },
};

async function tables(knex) {
  const r = await knex.raw("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
  return r.rows.map((x) => x.table_name);
}

async function main() {
  const knex = knexLib({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  try {
    await assert.rejects(knex.migrate.latest({ migrationSource: source({ '001_users': users, '002_broken': broken }) }),
      (e) => e.code === '22012');
    assert.deepEqual(await tables(knex), ['knex_migrations', 'knex_migrations_lock'], 'a failed batch leaves no table');
    assert.equal((await knex('knex_migrations').count('* as n'))[0].n, '0');

    const [batch, done] = await knex.migrate.latest({ migrationSource: source({ '001_users': users, '002_more': more }) });
    assert.deepEqual([batch, done], [1, ['001_users', '002_more']]);
    assert.deepEqual(await tables(knex), ['knex_migrations', 'knex_migrations_lock', 'posts', 'tags', 'users']);
    assert.deepEqual(await knex('users').select('id', 'email', 'nickname'), [{ id: 1, email: 'seed@example.com', nickname: 'anon' }]);
    const idx = await knex.raw("SELECT indexname FROM pg_indexes WHERE tablename IN ('users', 'posts', 'tags') ORDER BY 1");
    assert.deepEqual(idx.rows.map((x) => x.indexname), ['posts_author_id_title_index', 'posts_pkey', 'tags_name_unique',
      'tags_pkey', 'users_email_unique', 'users_nickname_index', 'users_pkey']);
    await assert.rejects(knex('users').insert({ email: 'seed@example.com' }), (e) => e.code === '23505');
    await assert.rejects(knex('posts').insert({ author_id: 99, title: 'orphan' }), (e) => e.code === '23503');
    const [{ id: post }] = await knex('posts').insert({ author_id: 1, title: 'hello' }).returning('id');
    await knex('tags').insert({ name: 'x', post_id: post });
    await assert.rejects(knex('users').where({ id: 1 }).del(), (e) => e.code === '23503', 'tags still reference the post');
    await knex('tags').del();
    await knex('users').where({ id: 1 }).del();
    assert.equal((await knex('posts').count('* as n'))[0].n, '0', 'ON DELETE CASCADE took the post');

    const [rolled, undone] = await knex.migrate.rollback({ migrationSource: source({ '001_users': users, '002_more': more }) });
    assert.deepEqual([rolled, undone], [1, ['002_more', '001_users']]);
    assert.deepEqual(await tables(knex), ['knex_migrations', 'knex_migrations_lock'], 'the rollback dropped the tables');
    console.log('knex e2e: ok');
  } finally {
    await knex.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
