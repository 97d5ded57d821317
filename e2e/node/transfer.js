// End-to-end check of transactions and optimistic locking through the official Node.js driver.
//
// 1. Transfers between accounts with session.withTransaction: each transfer reads both accounts, checks the
//    balance and updates both with a version check. Concurrent transfers conflict (WriteConflict, labelled
//    TransientTransactionError) and withTransaction retries them. Money is conserved and every committed
//    transfer bumps exactly two versions.
// 2. An optimistic-locking retry loop: 20 concurrent updaters each increment a counter 10 times by
//    compare-and-set on its version, retrying when another updater won. The final value counts every
//    increment exactly once.
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ node transfer.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';
const ACCOUNTS = 5;
const INITIAL = 1000;
const WORKERS = 8;
const TRANSFERS_PER_WORKER = 15;
const UPDATERS = 20;
const INCREMENTS_PER_UPDATER = 10;

async function transfers(client) {
  const db = client.db('e2e_transfer');
  const accounts = db.collection('accounts');
  await accounts.drop().catch(() => {});
  await accounts.insertMany(
    Array.from({ length: ACCOUNTS }, (_, i) => ({ _id: i, balance: INITIAL, version: 0 })),
  );

  let committed = 0;
  let attempts = 0;
  async function worker(w) {
    for (let i = 0; i < TRANSFERS_PER_WORKER; i++) {
      const from = (w + i) % ACCOUNTS;
      const to = (from + 1 + (i % (ACCOUNTS - 1))) % ACCOUNTS;
      const amount = 1 + ((w * 7 + i) % 20);
      const session = client.startSession();
      try {
        await session.withTransaction(async () => {
          attempts++;
          const a = await accounts.findOne({ _id: from }, { session });
          const b = await accounts.findOne({ _id: to }, { session });
          if (a.balance < amount) {
            return; // nothing to move; the transaction commits empty
          }
          const r1 = await accounts.updateOne(
            { _id: from, version: a.version },
            { $inc: { balance: -amount, version: 1 } },
            { session },
          );
          const r2 = await accounts.updateOne(
            { _id: to, version: b.version },
            { $inc: { balance: amount, version: 1 } },
            { session },
          );
          // Inside a snapshot transaction nobody else's write can slip in between read and write: a
          // concurrent writer makes the update fail with WriteConflict instead.
          assert.equal(r1.modifiedCount, 1, 'version check on the source account');
          assert.equal(r2.modifiedCount, 1, 'version check on the target account');
        });
        committed++;
      } finally {
        await session.endSession();
      }
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

  const all = await accounts.find().sort({ _id: 1 }).toArray();
  const total = all.reduce((s, a) => s + a.balance, 0);
  const versions = all.reduce((s, a) => s + a.version, 0);
  assert.equal(total, ACCOUNTS * INITIAL, 'money is conserved');
  assert.ok(all.every((a) => a.balance >= 0), 'no account goes negative');
  assert.equal(committed, WORKERS * TRANSFERS_PER_WORKER, 'every transfer committed');
  assert.ok(versions % 2 === 0 && versions <= 2 * committed, `versions ${versions} for ${committed} transfers`);
  console.log(`transfers: ${committed} committed in ${attempts} attempts; total ${total}; versions ${versions}`);
}

async function optimisticCounter(client) {
  const coll = client.db('e2e_transfer').collection('counter');
  await coll.drop().catch(() => {});
  await coll.insertOne({ _id: 'c', value: 0, version: 0 });

  let retries = 0;
  async function updater() {
    for (let i = 0; i < INCREMENTS_PER_UPDATER; i++) {
      for (;;) {
        const doc = await coll.findOne({ _id: 'c' });
        const r = await coll.updateOne(
          { _id: 'c', version: doc.version },
          { $set: { value: doc.value + 1, version: doc.version + 1 } },
        );
        if (r.modifiedCount === 1) {
          break;
        }
        assert.equal(r.matchedCount, 0, 'a lost compare-and-set matches nothing');
        retries++;
      }
    }
  }
  await Promise.all(Array.from({ length: UPDATERS }, () => updater()));
  const doc = await coll.findOne({ _id: 'c' });
  assert.equal(doc.value, UPDATERS * INCREMENTS_PER_UPDATER, 'every increment counted once');
  assert.equal(doc.version, UPDATERS * INCREMENTS_PER_UPDATER, 'one version per increment');
  console.log(`optimistic counter: value ${doc.value}, version ${doc.version}, ${retries} retries`);
}

async function main() {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  await client.connect();
  try {
    const hello = await client.db('admin').command({ hello: 1 });
    assert.equal(hello.setName, 'rs0');
    assert.equal(hello.isWritablePrimary, true);
    await transfers(client);
    await optimisticCounter(client);
  } finally {
    await client.close();
  }
  console.log('node e2e: ok');
}

main().catch((err) => {
  console.error('node e2e: FAILED');
  console.error(err);
  process.exit(1);
});
