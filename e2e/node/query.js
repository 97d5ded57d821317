// End-to-end check of the aggregation language through the official Node.js driver:
//
// 1. A pipeline-style update (updateMany with an array of stages) computing a field from others.
// 2. $setWindowFields: a running total per partition and a rank, the manual's cakeSales example.
// 3. $lookup with let and a pipeline: each order joined with the stock rows that can fill it.
// 4. A PCRE regular expression (lookbehind) in a filter, and a bitwise query operator.
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ node query.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';

async function pipelineUpdate(db) {
  const items = db.collection('items');
  await items.drop().catch(() => {});
  await items.insertMany([
    { _id: 1, price: 10, qty: 3 },
    { _id: 2, price: 4, qty: 5 },
  ]);
  const r = await items.updateMany({}, [
    { $set: { total: { $multiply: ['$price', '$qty'] } } },
    { $unset: 'qty' },
  ]);
  assert.equal(r.modifiedCount, 2);
  const docs = await items.find().sort({ _id: 1 }).toArray();
  assert.deepEqual(docs, [
    { _id: 1, price: 10, total: 30 },
    { _id: 2, price: 4, total: 20 },
  ]);
}

async function windowFunctions(db) {
  // https://www.mongodb.com/docs/manual/reference/operator/aggregation/setWindowFields/
  const sales = db.collection('cakeSales');
  await sales.drop().catch(() => {});
  await sales.insertMany([
    { _id: 0, type: 'chocolate', orderDate: new Date('2020-05-18T14:10:30Z'), state: 'CA', price: 13, quantity: 120 },
    { _id: 1, type: 'chocolate', orderDate: new Date('2021-03-20T11:30:05Z'), state: 'WA', price: 14, quantity: 140 },
    { _id: 2, type: 'vanilla', orderDate: new Date('2021-01-11T06:31:15Z'), state: 'CA', price: 12, quantity: 145 },
    { _id: 3, type: 'vanilla', orderDate: new Date('2020-02-08T13:13:23Z'), state: 'WA', price: 13, quantity: 104 },
    { _id: 4, type: 'strawberry', orderDate: new Date('2019-05-18T16:09:01Z'), state: 'CA', price: 41, quantity: 162 },
    { _id: 5, type: 'strawberry', orderDate: new Date('2019-01-08T06:12:03Z'), state: 'WA', price: 43, quantity: 134 },
  ]);
  const out = await sales
    .aggregate([
      {
        $setWindowFields: {
          partitionBy: '$state',
          sortBy: { orderDate: 1 },
          output: {
            cumulative: { $sum: '$quantity', window: { documents: ['unbounded', 'current'] } },
            n: { $documentNumber: {} },
          },
        },
      },
      { $project: { _id: 1, state: 1, cumulative: 1, n: 1 } },
    ])
    .toArray();
  assert.deepEqual(out, [
    { _id: 4, state: 'CA', cumulative: 162, n: 1 },
    { _id: 0, state: 'CA', cumulative: 282, n: 2 },
    { _id: 2, state: 'CA', cumulative: 427, n: 3 },
    { _id: 5, state: 'WA', cumulative: 134, n: 1 },
    { _id: 3, state: 'WA', cumulative: 238, n: 2 },
    { _id: 1, state: 'WA', cumulative: 378, n: 3 },
  ]);
}

async function lookupPipeline(db) {
  // https://www.mongodb.com/docs/manual/reference/operator/aggregation/lookup/#join-conditions-and-subqueries-on-a-joined-collection
  const orders = db.collection('orders');
  const warehouses = db.collection('warehouses');
  await orders.drop().catch(() => {});
  await warehouses.drop().catch(() => {});
  await orders.insertMany([
    { _id: 1, item: 'almonds', price: 12, ordered: 2 },
    { _id: 2, item: 'pecans', price: 20, ordered: 1 },
    { _id: 3, item: 'cookies', price: 10, ordered: 60 },
  ]);
  await warehouses.insertMany([
    { _id: 1, stock_item: 'almonds', warehouse: 'A', instock: 120 },
    { _id: 2, stock_item: 'pecans', warehouse: 'A', instock: 80 },
    { _id: 3, stock_item: 'almonds', warehouse: 'B', instock: 60 },
    { _id: 4, stock_item: 'cookies', warehouse: 'B', instock: 40 },
    { _id: 5, stock_item: 'cookies', warehouse: 'A', instock: 80 },
  ]);
  const out = await orders
    .aggregate([
      {
        $lookup: {
          from: 'warehouses',
          let: { order_item: '$item', order_qty: '$ordered' },
          pipeline: [
            {
              $match: {
                $expr: {
                  $and: [{ $eq: ['$stock_item', '$$order_item'] }, { $gte: ['$instock', '$$order_qty'] }],
                },
              },
            },
            { $project: { stock_item: 0, _id: 0 } },
          ],
          as: 'stockdata',
        },
      },
      { $sort: { _id: 1 } },
    ])
    .toArray();
  assert.deepEqual(out, [
    { _id: 1, item: 'almonds', price: 12, ordered: 2, stockdata: [{ warehouse: 'A', instock: 120 }, { warehouse: 'B', instock: 60 }] },
    { _id: 2, item: 'pecans', price: 20, ordered: 1, stockdata: [{ warehouse: 'A', instock: 80 }] },
    { _id: 3, item: 'cookies', price: 10, ordered: 60, stockdata: [{ warehouse: 'A', instock: 80 }] },
  ]);
}

async function regexAndBits(db) {
  const c = db.collection('codes');
  await c.drop().catch(() => {});
  await c.insertMany([
    { _id: 1, s: 'cost $42', flags: 54 },
    { _id: 2, s: 'cost 42', flags: 20 },
  ]);
  const byRegex = await c.find({ s: { $regex: '(?<=\\$)\\d+' } }).toArray();
  assert.deepEqual(byRegex.map((d) => d._id), [1]);
  const byBits = await c.find({ flags: { $bitsAllSet: [1, 5] } }).toArray();
  assert.deepEqual(byBits.map((d) => d._id), [1]);
}

async function main() {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db('e2e_query');
    await pipelineUpdate(db);
    console.log('pipeline update: ok');
    await windowFunctions(db);
    console.log('$setWindowFields: ok');
    await lookupPipeline(db);
    console.log('$lookup with a pipeline: ok');
    await regexAndBits(db);
    console.log('PCRE regex and $bitsAllSet: ok');
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
