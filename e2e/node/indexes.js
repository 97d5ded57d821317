// End-to-end check of collation and TTL indexes through the official Node.js driver.
//
// 1. A collation-aware sort: names sorted with {locale: "en"} come out in dictionary order ("apple", "Banana",
//    "cherry"), where the binary order puts upper case first; with strength 2 an equality ignores case.
// 2. A TTL index expiring a document: with the server started with --ttl-monitor-sleep-secs 1, a document whose
//    date is past expireAfterSeconds disappears within a few seconds, one not yet expired stays, and
//    serverStatus counts the removal in metrics.ttl.deletedDocuments.
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ node indexes.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';

async function collationSort(client) {
  const names = client.db('e2e_indexes').collection('names');
  await names.drop().catch(() => {});
  await names.insertMany([{ _id: 1, n: 'cherry' }, { _id: 2, n: 'Banana' }, { _id: 3, n: 'apple' }, { _id: 4, n: 'APPLE' }]);
  await names.createIndex({ n: 1 });
  const binary = await names.find({}, { sort: { n: 1, _id: 1 } }).toArray();
  assert.deepEqual(binary.map((d) => d.n), ['APPLE', 'Banana', 'apple', 'cherry']);
  const en = await names.find({}, { sort: { n: 1, _id: 1 }, collation: { locale: 'en' } }).toArray();
  assert.deepEqual(en.map((d) => d.n), ['apple', 'APPLE', 'Banana', 'cherry']);
  const ci = await names.find({ n: 'Apple' }, { collation: { locale: 'en', strength: 2 }, sort: { _id: 1 } }).toArray();
  assert.deepEqual(ci.map((d) => d._id), [3, 4]);
  await assert.rejects(names.find({}, { collation: { locale: 'en', strength: 7 } }).toArray(), (err) => err.code === 2);
  console.log('collation sort: ok');
}

async function ttlExpiry(client) {
  const db = client.db('e2e_indexes');
  const sessions = db.collection('sessions');
  await sessions.drop().catch(() => {});
  await sessions.createIndex({ lastSeen: 1 }, { expireAfterSeconds: 1 });
  const before = (await client.db('admin').command({ serverStatus: 1 })).metrics.ttl.deletedDocuments;
  await sessions.insertMany([
    { _id: 'old', lastSeen: new Date(Date.now() - 60_000) },
    { _id: 'fresh', lastSeen: new Date(Date.now() + 3_600_000) },
  ]);
  const deadline = Date.now() + 20_000;
  while ((await sessions.countDocuments({ _id: 'old' })) !== 0) {
    assert.ok(Date.now() < deadline, 'the expired document was not removed within 20 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(await sessions.countDocuments({ _id: 'fresh' }), 1);
  const after = (await client.db('admin').command({ serverStatus: 1 })).metrics.ttl.deletedDocuments;
  assert.ok(after >= before + 1, `metrics.ttl.deletedDocuments went from ${before} to ${after}`);
  console.log('ttl expiry: ok');
}

async function main() {
  const client = new MongoClient(uri, { directConnection: true });
  await client.connect();
  try {
    await collationSort(client);
    await ttlExpiry(client);
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
