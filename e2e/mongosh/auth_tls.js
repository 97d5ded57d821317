// Run by e2e/run.sh with mongosh --tls -u admin against `concord serve --auth`: authenticated CRUD and the
// shell's own view of the connection.
const status = db.getSiblingDB('admin').runCommand({ connectionStatus: 1 });
if (status.authInfo.authenticatedUsers[0].user !== 'admin') throw new Error('not authenticated as admin: ' + tojson(status));
const c = db.getSiblingDB('shop_sh').orders;
c.insertOne({ _id: 1, qty: 1 });
c.updateOne({ _id: 1 }, { $inc: { qty: 1 } });
if (c.findOne({ _id: 1 }).qty !== 2) throw new Error('update lost');
print('mongosh over TLS as admin: ok');
