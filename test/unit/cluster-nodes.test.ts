import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEAT_MS, ClusterNodes, DEAD_AFTER_MS } from '../../src/sessions/nodes.js';
import { ManualClock } from '../helpers/clock.js';
import { FakeBus, FakeNet } from '../helpers/fax-cluster.js';

describe('cluster nodes by their heartbeats', () => {
  const cluster = (rooms: Record<string, number>) => {
    const net = new FakeNet();
    const clock = new ManualClock();
    const nodes = Object.fromEntries(Object.keys(rooms).map((n) => [n, new ClusterNodes(new FakeBus(n, net), clock, () => rooms[n]!)]));
    for (const n of Object.values(nodes)) n.start();
    return { net, clock, nodes };
  };

  it('sends new sessions to the peer with the most room, counting each one taken until the next heartbeat', async () => {
    const rooms = { a: 0, b: 2, c: 1 };
    const { net, clock, nodes } = cluster(rooms);
    await net.settle();
    const a = nodes.a!;
    assert.deepEqual([a.takeRoomElsewhere(), a.takeRoomElsewhere(), a.takeRoomElsewhere(), a.takeRoomElsewhere()], ['b', 'b', 'c', null]);

    rooms.c = 5; // c's sessions ended: its next heartbeat says so
    clock.advance(BEAT_MS);
    await net.settle();
    assert.equal(a.takeRoomElsewhere(), 'c');
    assert.equal(nodes.b!.takeRoomElsewhere(), 'c', 'each node hears every other');
  });

  it('offers no room on a node that stopped beating', async () => {
    const { net, clock, nodes } = cluster({ a: 0, b: 3 });
    await net.settle();
    (net.buses.get('b') as FakeBus).dead = true;
    clock.advance(DEAD_AFTER_MS + BEAT_MS);
    await net.settle();
    assert.equal(nodes.a!.isUp('b'), false);
    assert.equal(nodes.a!.takeRoomElsewhere(), null);
  });
});
