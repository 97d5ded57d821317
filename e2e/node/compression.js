// End-to-end check of OP_COMPRESSED through the official Node.js driver: a client that asks for zlib (the
// compressor Node.js ships with) writes and reads documents, and serverStatus shows that the server
// decompressed its requests and compressed its replies with zlib.
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ node compression.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';

async function zlibCounters(client) {
  const status = await client.db('admin').command({ serverStatus: 1 });
  const z = status.network.compression.zlib;
  return { in: Number(z.decompressor.bytesOut), out: Number(z.compressor.bytesIn) };
}

async function main() {
  const plain = new MongoClient(uri);
  const zipped = new MongoClient(uri, { compressors: ['zlib'] });
  try {
    await plain.connect();
    await zipped.connect();
    const before = await zlibCounters(plain);
    const coll = zipped.db('e2e_compression').collection('docs');
    await coll.drop().catch(() => {});
    const text = 'compressible '.repeat(50);
    await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, text })));
    const docs = await coll.find({}).sort({ _id: 1 }).toArray();
    assert.equal(docs.length, 100);
    assert.equal(docs[99].text, text);
    const after = await zlibCounters(plain);
    assert.ok(after.in - before.in >= 100 * text.length, `zlib requests: ${after.in - before.in} bytes`);
    assert.ok(after.out - before.out >= 100 * text.length, `zlib replies: ${after.out - before.out} bytes`);
    console.log(`compression: zlib carried ${after.in - before.in} request and ${after.out - before.out} reply bytes`);
  } finally {
    await zipped.close();
    await plain.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
