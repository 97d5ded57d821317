// End-to-end check of change streams through the official Node.js driver.
//
// 1. collection.watch() with fullDocument 'updateLookup' sees an insert, an update (with its
//    updateDescription), a replace and a delete in commit order, then drop and invalidate.
// 2. A transaction's writes arrive together, after its commit, never before.
// 3. A stream resumed with resumeAfter (the token of the first event) gets the rest; the token survives a
//    restart of concord serve: run with PHASE=write, restart the server, then PHASE=resume.
// 4. db.watch() with showExpandedEvents sees createIndexes and rename.
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ [PHASE=write|resume TOKEN_FILE=f] node watch.js
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';
const phase = process.env.PHASE || 'all';
const tokenFile = process.env.TOKEN_FILE;

// next returns the stream's next event, failing after 10 s.
async function next(stream) {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no change event within 10 s')), 10000));
  return Promise.race([stream.next(), timeout]);
}

async function events(client) {
  const coll = client.db('e2e_watch').collection('events');
  await coll.drop().catch(() => {});
  await client.db('e2e_watch').createCollection('events');
  const stream = coll.watch([], { fullDocument: 'updateLookup' });
  await stream.tryNext(); // opens the cursor before the writes
  await coll.insertOne({ _id: 1, a: 1 });
  await coll.updateOne({ _id: 1 }, { $set: { b: 2 }, $unset: { a: '' } });
  await coll.replaceOne({ _id: 1 }, { r: true });
  await coll.deleteOne({ _id: 1 });
  await coll.drop();

  let ev = await next(stream);
  assert.equal(ev.operationType, 'insert');
  assert.deepEqual(ev.fullDocument, { _id: 1, a: 1 });
  assert.deepEqual(ev.ns, { db: 'e2e_watch', coll: 'events' });
  ev = await next(stream);
  assert.equal(ev.operationType, 'update');
  assert.deepEqual(ev.updateDescription.updatedFields, { b: 2 });
  assert.deepEqual(ev.updateDescription.removedFields, ['a']);
  assert.equal(ev.fullDocument, null, 'updateLookup of a document since deleted');
  ev = await next(stream);
  assert.equal(ev.operationType, 'replace');
  assert.deepEqual(ev.fullDocument, { _id: 1, r: true });
  ev = await next(stream);
  assert.equal(ev.operationType, 'delete');
  assert.deepEqual(ev.documentKey, { _id: 1 });
  assert.equal((await next(stream)).operationType, 'drop');
  assert.equal((await next(stream)).operationType, 'invalidate');
  await stream.close();
  console.log('events: insert, update, replace, delete, drop, invalidate');
}

async function transaction(client) {
  const coll = client.db('e2e_watch').collection('txn');
  await coll.drop().catch(() => {});
  await client.db('e2e_watch').createCollection('txn');
  const stream = coll.watch();
  await stream.tryNext();
  const session = client.startSession();
  try {
    session.startTransaction();
    for (let i = 1; i <= 3; i++) {
      await coll.insertOne({ _id: i }, { session });
    }
    assert.equal(await stream.tryNext(), null, 'an event before the commit');
    await session.commitTransaction();
  } finally {
    await session.endSession();
  }
  const times = [];
  for (let i = 1; i <= 3; i++) {
    const ev = await next(stream);
    assert.equal(ev.operationType, 'insert');
    assert.equal(ev.documentKey._id, i);
    times.push(ev.clusterTime.toString());
  }
  assert.equal(new Set(times).size, 1, `one transaction's events at different times: ${times}`);
  await stream.close();
  console.log('transaction: three inserts together after the commit');
}

async function expanded(client) {
  const db = client.db('e2e_watch_ddl');
  await db.dropDatabase();
  const stream = db.watch([], { showExpandedEvents: true });
  await stream.tryNext();
  await db.createCollection('a');
  await db.collection('a').createIndex({ x: 1 });
  await db.collection('a').rename('b');
  const want = ['create', 'createIndexes', 'rename'];
  for (const op of want) {
    const ev = await next(stream);
    assert.equal(ev.operationType, op);
    if (op === 'rename') {
      assert.deepEqual(ev.to, { db: 'e2e_watch_ddl', coll: 'b' });
    }
  }
  await stream.close();
  console.log('expanded events: create, createIndexes, rename');
}

async function write(client) {
  const coll = client.db('e2e_watch').collection('restart');
  await coll.drop().catch(() => {});
  const stream = coll.watch();
  await stream.tryNext();
  await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
  const ev = await next(stream);
  assert.equal(ev.documentKey._id, 1);
  fs.writeFileSync(tokenFile, JSON.stringify(ev._id));
  await stream.close();
  console.log('write: token of the first of three inserts saved');
}

async function resume(client) {
  const coll = client.db('e2e_watch').collection('restart');
  await coll.insertOne({ _id: 4 });
  const token = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
  const stream = coll.watch([], { resumeAfter: token });
  for (const id of [2, 3, 4]) {
    const ev = await next(stream);
    assert.equal(ev.operationType, 'insert');
    assert.equal(ev.documentKey._id, id);
  }
  await stream.close();
  console.log('resume: after the restart, the stream resumed with the saved token got 2, 3 and 4');
}

async function main() {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  try {
    if (phase === 'write') {
      await write(client);
    } else if (phase === 'resume') {
      await resume(client);
    } else {
      await events(client);
      await transaction(client);
      await expanded(client);
    }
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
