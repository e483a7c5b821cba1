#!/usr/bin/env node
// The PostgreSQL half of the test suite runs in a database of its own, made fresh for the run
// and dropped afterwards, on the server FLEETRELAY_TEST_DATABASE_URL names (default: the local
// one). Each data directory a test uses gets a schema of its own in it (test/helpers/store.ts).
//   node scripts/test-database.mjs create   → prints the new database's URL
//   node scripts/test-database.mjs drop <url>
import pg from 'pg';

const server = process.env.FLEETRELAY_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const [command, url] = process.argv.slice(2);

async function admin(sql) {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    console.error(`test-database: cannot reach PostgreSQL at ${server.replace(/:[^:@/]*@/, ':***@')}: ${err.message}`);
    console.error('test-database: the suite runs on PostgreSQL too; start it, or point FLEETRELAY_TEST_DATABASE_URL at a server where you may create databases');
    process.exit(1);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

if (command === 'create') {
  const name = `fleetrelay_test_${process.pid}_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  console.log(u.toString());
} else if (command === 'drop' && url) {
  const name = new URL(url).pathname.slice(1);
  if (!/^fleetrelay_test_\w+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
} else {
  console.error('usage: test-database.mjs create | drop <url>');
  process.exit(2);
}
