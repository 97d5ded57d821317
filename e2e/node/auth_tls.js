// End-to-end check of `concord serve --auth --tls-cert --tls-key` through the official Node.js driver.
//
// 1. Without credentials, over TLS, from 127.0.0.1: the localhost exception lets the client create the first
//    user (root on admin), and nothing else.
// 2. With that user's credentials (SCRAM-SHA-256, then SCRAM-SHA-1): CRUD works; a wrong password fails with
//    AuthenticationFailed (18); a reader cannot write (Unauthorized, 13).
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ CONCORD_CA=ca.pem node auth_tls.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';
const tlsOptions = { tls: true, tlsCAFile: process.env.CONCORD_CA, serverSelectionTimeoutMS: 5000 };

function withCredentials(user, password, extra = '') {
  const u = new URL(uri);
  u.username = user;
  u.password = password;
  u.search = '?authSource=admin' + extra;
  return u.toString();
}

async function main() {
  const anonymous = new MongoClient(uri, tlsOptions);
  try {
    await assert.rejects(anonymous.db('shop').collection('orders').findOne({}), { code: 13 });
    await anonymous.db('admin').command({ createUser: 'admin', pwd: 'e2e-secret', roles: ['root'] });
    await assert.rejects(
      anonymous.db('admin').command({ createUser: 'second', pwd: 'x', roles: ['root'] }),
      { code: 13 },
    );
  } finally {
    await anonymous.close();
  }

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1']) {
    const client = new MongoClient(withCredentials('admin', 'e2e-secret', `&authMechanism=${mechanism}`), tlsOptions);
    try {
      const orders = client.db('shop').collection('orders');
      await orders.insertOne({ mechanism, qty: 1 });
      await orders.updateOne({ mechanism }, { $inc: { qty: 1 } });
      const doc = await orders.findOne({ mechanism });
      assert.equal(doc.qty, 2);
      const status = await client.db('admin').command({ connectionStatus: 1 });
      assert.deepEqual(status.authInfo.authenticatedUsers, [{ user: 'admin', db: 'admin' }]);
      if (mechanism === 'SCRAM-SHA-256') {
        await client.db('admin').command({ createUser: 'reader', pwd: 'r', roles: [{ role: 'read', db: 'shop' }] });
      }
    } finally {
      await client.close();
    }
  }

  const wrong = new MongoClient(withCredentials('admin', 'not-the-password'), tlsOptions);
  await assert.rejects(wrong.connect(), (err) => err.code === 18 || /Authentication failed/.test(String(err)));
  await wrong.close();

  const reader = new MongoClient(withCredentials('reader', 'r'), tlsOptions);
  try {
    assert.equal(await reader.db('shop').collection('orders').countDocuments({}), 2);
    await assert.rejects(reader.db('shop').collection('orders').insertOne({ x: 1 }), { code: 13 });
  } finally {
    await reader.close();
  }
  console.log('auth over TLS: localhost exception, SCRAM-SHA-256, SCRAM-SHA-1, wrong password, roles: ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
