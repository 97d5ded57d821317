// End-to-end check of cursors read in batches, through the official Node.js driver: each getMore reads the
// latest committed state from where the last batch ended, as a MongoDB cursor yields between getMores.
//
// 1. A collection scan in batches of 100: a document deleted, updated or inserted ahead of the cursor after its
//    first batches is left out, read as updated, or returned.
// 2. The same on an index's plan: a document deleted, or updated so that it no longer matches, is left out.
// 3. An aggregation in batches of 50.
// 4. A getMore after the collection was dropped fails with QueryPlanKilled (175).
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ node cursors.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';

async function load(c, n) {
  await c.drop().catch(() => {});
  const pad = 'x'.repeat(200);
  for (let i = 0; i < n; i += 1000) {
    const docs = [];
    for (let j = i; j < i + 1000; j++) docs.push({ _id: j, k: j % 10, v: 'old', pad });
    await c.insertMany(docs);
  }
  await c.createIndex({ k: 1 });
}

async function readTail(cursor, n) {
  const seen = [];
  for (let i = 0; i < n; i++) seen.push(await cursor.next());
  return seen;
}

async function main() {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db('e2e_cursors');
    const c = db.collection('c');
    await load(c, 3000);

    // 1. A collection scan.
    let cur = c.find({}).batchSize(100);
    const head = await readTail(cur, 150);
    assert.deepEqual(head.map((d) => d._id), [...Array(150).keys()]);
    await c.deleteOne({ _id: 2000 });
    await c.updateOne({ _id: 2500 }, { $set: { v: 'new' } });
    await c.insertOne({ _id: 5000, k: 0, v: 'new' });
    let rest = await cur.toArray();
    let byId = new Map(rest.map((d) => [d._id, d]));
    assert.equal(head.length + rest.length, 3000, 'scan: 3,000 - 1 deleted + 1 inserted');
    assert.ok(!byId.has(2000) && byId.has(5000) && byId.get(2500).v === 'new', 'scan: the latest state');

    // 2. An index's plan.
    cur = c.find({ k: { $gte: 0 } }).hint({ k: 1 }).batchSize(100);
    await readTail(cur, 150);
    await c.deleteOne({ _id: 2001 });
    await c.updateOne({ _id: 2501 }, { $set: { v: 'new' } });
    await c.updateOne({ _id: 2502 }, { $set: { k: -1 } });
    rest = await cur.toArray();
    byId = new Map(rest.map((d) => [d._id, d]));
    assert.equal(150 + rest.length, 2998, 'index: 3,000 - 2 deleted or no longer matching');
    assert.ok(!byId.has(2001) && !byId.has(2502) && byId.get(2501).v === 'new', 'index: the latest state');

    // 3. An aggregation, in batches of 50.
    const agg = await c.aggregate([{ $match: { k: { $lt: 5 } } }, { $project: { k: 1 } }], { batchSize: 50 }).toArray();
    assert.equal(agg.length, await c.countDocuments({ k: { $lt: 5 } }));
    assert.ok(agg.every((d) => d.k < 5 && d.pad === undefined));

    // 4. The collection dropped between getMores.
    cur = c.find({}).batchSize(10);
    await cur.next();
    await c.drop();
    await assert.rejects(cur.toArray(), (err) => err.code === 175 && /collection dropped/.test(err.message));
    console.log('cursors: a scan and an index plan read the latest state in batches; an aggregation in batches; a dropped collection is QueryPlanKilled: ok');
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
