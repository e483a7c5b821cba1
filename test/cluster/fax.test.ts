/**
 * Fax across relay nodes (seed 001 FIG. 3, issue 13 item 5), three real nodes: users logged in on
 * different nodes list and call each other, data crosses in order, and a node lost mid-call ends
 * the call on the other side with TERMINATE.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pair, RawFax, T } from '../helpers/fax.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { cliJson } from '../helpers/relay.js';

const PW = 'fax-secret-1';

describe('fax relay across three nodes', () => {
  let c: TestCluster;
  const lines: RawFax[] = [];
  const login = async (node: number, user: string) => {
    const l = await RawFax.login(c.nodes[node]!.faxPort, user, PW);
    lines.push(l);
    return l;
  };
  const listed = async (l: RawFax): Promise<string[]> => {
    l.send(T.LIST);
    return (await l.next(T.LIST_RESULT)).body.users as string[];
  };

  before(async () => {
    c = await startCluster(3);
    for (const u of ['alice', 'bob', 'carol']) cliJson(c.nodes[0]!.dataDir, ['--database-url', c.databaseUrl, 'fax', 'user', 'add', u, '--password', PW]);
  });
  after(async () => {
    for (const l of lines) l.end();
    await c?.stop();
  });

  it('users on different nodes list and call each other; DATA crosses in order both ways', async () => {
    const alice = await login(0, 'alice');
    const bob = await login(1, 'bob');
    for (let i = 0; ; i++) {
      if ((await listed(alice)).includes('bob')) break;
      assert.ok(i < 40, 'bob, logged in on node 2, is listed on node 1');
      await new Promise((r) => setTimeout(r, 50));
    }
    await pair(alice, bob, 'bob');
    const sent = Array.from({ length: 50 }, (_, i) => Buffer.alloc(20_000 + i, i));
    for (const d of sent) alice.send(T.DATA, d);
    const got: Buffer[] = [];
    while (got.length < sent.length) got.push((await bob.next(T.DATA)).payload);
    assert.deepEqual(got.map((b) => createHash('sha256').update(b).digest('hex')), sent.map((b) => createHash('sha256').update(b).digest('hex')), 'in order, whole');
    bob.send(T.DATA, Buffer.from('ack from bob'));
    assert.equal((await alice.next(T.DATA)).payload.toString(), 'ack from bob');
  });

  it('a node killed mid-call: the other side gets TERMINATE', async () => {
    const carol = await login(2, 'carol');
    const alice = await login(0, 'alice');
    for (let i = 0; !(await listed(alice)).includes('carol'); i++) {
      assert.ok(i < 40);
      await new Promise((r) => setTimeout(r, 50));
    }
    await pair(alice, carol, 'carol');
    const t0 = Date.now();
    await c.nodes[2]!.stop('SIGKILL');
    await alice.next(T.TERMINATE, 10_000);
    assert.ok(Date.now() - t0 < 10_000, `TERMINATE after ${Date.now() - t0} ms`);
  });
});
