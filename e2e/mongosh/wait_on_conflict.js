// End-to-end check, in mongosh, of how a transaction's uncommitted write meets other writers (spec section 8,
// scenarios 1, 6, 11 and 13):
//   - transaction A updates a document and does not commit;
//   - transaction B's update of the same document fails at once with WriteConflict (112), labelled
//     TransientTransactionError;
//   - a non-transactional update waits for A instead of failing (with maxTimeMS it gives up with
//     MaxTimeMSExpired; without, it waits);
//   - A, expired by a 2-second transactionLifetimeLimitSeconds, is aborted, which releases the waiting update,
//     and A's commit reports NoSuchTransaction (251);
//   - serverStatus and the profiler (system.profile) show the write conflicts.
//
// Usage: mongosh --quiet mongodb://127.0.0.1:27017/ wait_on_conflict.js

function tojson(x) {
  return EJSON.stringify(x, null, 0, { relaxed: true });
}

function check(cond, msg) {
  if (!cond) {
    print('mongosh e2e: FAILED: ' + msg);
    quit(1);
  }
}

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

const admin = db.getSiblingDB('admin');
const test = db.getSiblingDB('e2e_conflict');
test.dropDatabase();
test.c.insertOne({ _id: 1, v: 0 });
test.setProfilingLevel(2);

const was = admin.runCommand({ setParameter: 1, transactionLifetimeLimitSeconds: 2 });
check(was.ok === 1, 'setParameter: ' + tojson(was));
const before = admin.runCommand({ serverStatus: 1 });

// Transaction A writes and stays open.
const sessA = db.getMongo().startSession();
sessA.startTransaction();
sessA.getDatabase('e2e_conflict').c.updateOne({ _id: 1 }, { $set: { v: 'A' } });

// Transaction B conflicts at once.
const sessB = db.getMongo().startSession();
sessB.startTransaction();
let t0 = Date.now();
const errB = codeOf(() => sessB.getDatabase('e2e_conflict').c.updateOne({ _id: 1 }, { $set: { v: 'B' } }));
const bMillis = Date.now() - t0;
check(errB !== null && errB.code === 112, 'B should get WriteConflict, got ' + errB);
check((errB.errorLabels || []).includes('TransientTransactionError'), 'B lacks TransientTransactionError: ' + tojson(errB.errorLabels));
check(bMillis < 1000, 'B waited ' + bMillis + ' ms; a transaction conflict must be immediate');
try { sessB.abortTransaction(); } catch (e) { /* already aborted by the server */ }

// A non-transactional update waits for A: with a short maxTimeMS it gives up.
const timeout = codeOf(() => test.runCommand({ update: 'c', updates: [{ q: { _id: 1 }, u: { $set: { v: 'timeout' } } }], maxTimeMS: 300 }));
check(timeout !== null && timeout.code === 50, 'update with maxTimeMS should get MaxTimeMSExpired, got ' + timeout);

// Without maxTimeMS it waits until A is aborted by the lifetime limit, then applies.
t0 = Date.now();
const waited = test.c.updateOne({ _id: 1 }, { $set: { v: 'C' } });
const cMillis = Date.now() - t0;
check(waited.matchedCount === 1 && waited.modifiedCount === 1, 'waiting update: ' + tojson(waited));
check(cMillis >= 300, 'the non-transactional update returned after ' + cMillis + ' ms; it should have waited for A');
check(cMillis < 10000, 'the non-transactional update waited ' + cMillis + ' ms; A should expire after about 2 s');

// A's commit: the transaction was aborted when it expired.
const errA = codeOf(() => sessA.commitTransaction());
check(errA !== null && errA.code === 251, 'A commit should get NoSuchTransaction, got ' + errA);
check((errA.errorLabels || []).includes('TransientTransactionError'), 'A commit lacks TransientTransactionError');
sessA.endSession();
sessB.endSession();

const doc = test.c.findOne({ _id: 1 });
check(doc.v === 'C', 'final document ' + tojson(doc));

const after = admin.runCommand({ serverStatus: 1 });
const wc = after.metrics.operation.writeConflicts - before.metrics.operation.writeConflicts;
const aborted = after.transactions.totalAborted - before.transactions.totalAborted;
check(wc >= 1, 'metrics.operation.writeConflicts did not grow');
check(aborted >= 2, 'transactions.totalAborted grew by ' + aborted + ', want at least 2 (B and A)');

const prof = test.system.profile.find({ op: 'update', ns: 'e2e_conflict.c', writeConflicts: { $gte: 1 } }).toArray();
check(prof.length >= 1, 'no profiler entry with writeConflicts: ' + tojson(test.system.profile.find().toArray()));
check(prof.every((p) => p.numYield >= p.writeConflicts), 'numYield < writeConflicts in ' + tojson(prof));

admin.runCommand({ setParameter: 1, transactionLifetimeLimitSeconds: 60 });
test.setProfilingLevel(0);
print('B conflicted in ' + bMillis + ' ms; the plain update waited ' + cMillis + ' ms; writeConflicts +' + wc +
  '; profiler entries with conflicts: ' + prof.length);
print('mongosh e2e: ok');
