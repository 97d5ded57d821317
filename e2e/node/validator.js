// End-to-end check of schema validation through the official Node.js driver.
//
// 1. A collection created with a $jsonSchema validator refuses a document that breaks it: the driver raises a
//    MongoServerError with code 121 (DocumentValidationFailure) whose errInfo names the failing document and
//    the unsatisfied rules (mongod 5.0's shape); a conforming document is accepted.
// 2. bypassDocumentValidation lets the write through; collMod (db.command) switches the action to "warn",
//    after which the write succeeds, and listCollections shows the validator.
// 3. A view refuses writes with code 166 (CommandNotSupportedOnView) and reads through its pipeline.
//
// Usage: CONCORD_URI=mongodb://127.0.0.1:27017/ node validator.js
'use strict';

const assert = require('node:assert/strict');
const { MongoClient } = require('mongodb');

const uri = process.env.CONCORD_URI || 'mongodb://127.0.0.1:27017/';

async function main() {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db('e2e_validation');
    await db.dropDatabase();
    const people = await db.createCollection('people', {
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['name', 'age'],
          properties: {
            name: { bsonType: 'string', description: 'must be a string' },
            age: { bsonType: 'int', minimum: 0, maximum: 150 },
          },
        },
      },
    });
    await people.insertOne({ _id: 1, name: 'Ann', age: 30 });

    let err;
    try {
      await people.insertOne({ _id: 2, name: 'Bob', age: 200 });
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'the invalid insert was accepted');
    assert.equal(err.code, 121);
    assert.equal(err.errInfo.failingDocumentId, 2);
    assert.equal(err.errInfo.details.operatorName, '$jsonSchema');
    const rule = err.errInfo.details.schemaRulesNotSatisfied[0];
    assert.equal(rule.operatorName, 'properties');
    assert.equal(rule.propertiesNotSatisfied[0].propertyName, 'age');
    assert.equal(rule.propertiesNotSatisfied[0].details[0].operatorName, 'maximum');

    await people.insertOne({ _id: 3, name: 'Cy', age: 'old' }, { bypassDocumentValidation: true });
    await db.command({ collMod: 'people', validationAction: 'warn' });
    await people.insertOne({ _id: 4, name: 5, age: 1 });
    assert.equal(await people.countDocuments(), 3);

    const [info] = await db.listCollections({ name: 'people' }).toArray();
    assert.equal(info.options.validationAction, 'warn');
    assert.deepEqual(info.options.validator.$jsonSchema.required, ['name', 'age']);

    await db.createCollection('adults', { viewOn: 'people', pipeline: [{ $match: { age: { $gte: 18 } } }] });
    const adults = db.collection('adults');
    assert.deepEqual((await adults.find().toArray()).map((d) => d._id), [1]);
    let viewErr;
    try {
      await adults.insertOne({ name: 'Dee', age: 40 });
    } catch (e) {
      viewErr = e;
    }
    assert.ok(viewErr, 'the write to a view was accepted');
    assert.equal(viewErr.code, 166);
    console.log('validator: ok');
  } finally {
    await client.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
