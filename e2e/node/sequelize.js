// End-to-end check of Sequelize (with node-postgres) on the PostgreSQL port: what its sync, its optimistic
// locking and its upsert run against the catalogs and the tables. The same script passes against PostgreSQL 15.
//
// 1. sync({force}) makes the tables, an enum type through a DO block (its EXCEPTION clause keeps a second run
//    quiet), a foreign key and an index; sync({alter}) then reads the catalogs back and changes nothing it need not.
// 2. A model with version: true refuses a stale save (SequelizeOptimisticLockError), as its UPDATE ... WHERE
//    version = n matches no row.
// 3. A transaction's decrement and increment move money; an upsert updates the row it conflicts with; the
//    query interface adds, retypes and renames a column.
//
// Usage: PG_URL=postgres://concord@127.0.0.1:5433/seq node sequelize.js
'use strict';

const assert = require('node:assert/strict');
const { Sequelize, DataTypes, Op } = require('sequelize');

const url = process.env.PG_URL || 'postgres://concord@127.0.0.1:5433/seq';

(async () => {
  const s = new Sequelize(url, { logging: false });
  const Account = s.define('Account', {
    name: { type: DataTypes.STRING, allowNull: false, unique: true },
    balance: { type: DataTypes.INTEGER, defaultValue: 0, validate: { min: 0 } },
    data: DataTypes.JSONB,
    born: DataTypes.DATEONLY,
    status: DataTypes.ENUM('open', 'closed'),
    ids: DataTypes.ARRAY(DataTypes.INTEGER),
  }, { version: true, indexes: [{ fields: ['born'] }] });
  const Entry = s.define('Entry', { amount: DataTypes.DECIMAL(10, 2) });
  Account.hasMany(Entry);
  Entry.belongsTo(Account);

  await s.sync({ force: true });
  await s.sync({ force: true }); // the enum exists now: the DO block's EXCEPTION clause catches duplicate_object
  await s.sync({ alter: true });

  const a = await Account.create({ name: 'a', balance: 10, data: { x: [1, 2] }, born: '2000-01-02', status: 'open', ids: [1, 2] });
  const b = await Account.create({ name: 'b', balance: 0 });
  await Entry.create({ amount: '1.50', AccountId: a.id });

  const a1 = await Account.findByPk(a.id);
  const a2 = await Account.findByPk(a.id);
  a1.balance = 11;
  await a1.save();
  a2.balance = 12;
  await assert.rejects(a2.save(), { name: 'SequelizeOptimisticLockError' });

  await s.transaction(async (t) => {
    await Account.decrement('balance', { by: 5, where: { id: a.id }, transaction: t });
    await Account.increment('balance', { by: 5, where: { id: b.id }, transaction: t });
  });
  const rows = await Account.findAll({ include: Entry, order: [['id', 'ASC']] });
  assert.deepEqual(rows.map((r) => [r.name, r.balance, r.version, r.Entries.length]), [['a', 6, 2, 1], ['b', 5, 1, 0]]);
  assert.deepEqual(rows[0].data, { x: [1, 2] });
  assert.deepEqual(rows[0].ids, [1, 2]);
  assert.equal(rows[0].status, 'open');
  assert.equal(await Account.count({ where: { name: { [Op.iLike]: 'A%' } } }), 1);

  await Account.upsert({ id: b.id, name: 'b', balance: 100 });
  assert.equal((await Account.findByPk(b.id)).balance, 100);

  const qi = s.getQueryInterface();
  await qi.addColumn('Accounts', 'note', { type: DataTypes.TEXT });
  await qi.changeColumn('Accounts', 'note', { type: DataTypes.STRING(50), allowNull: true });
  await qi.renameColumn('Accounts', 'note', 'memo');
  const cols = await qi.describeTable('Accounts');
  assert.equal(cols.memo.type, 'CHARACTER VARYING(50)');
  await s.close();
  console.log('sequelize: ok');
})().catch((e) => {
  console.error('sequelize:', e);
  process.exit(1);
});
