/**
 * Fax relay across cluster nodes (issue 13): MB/s of one call whose two machines are logged in on
 * two nodes (frames cross NATS in 256 KiB pieces under a 1 MiB window), beside a call within one
 * node, on the same two-node cluster (PostgreSQL + NATS), in the same run.
 *
 *   npm run build && node dist/bench/fax-cluster.js [--mib 256] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { frame, pair, RawFax, T } from '../test/helpers/fax.js';
import { startCluster } from '../test/helpers/cluster.js';
import { cliJson } from '../test/helpers/relay.js';
import { pump, received } from './fax-stream.js';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' } } });
const FRAME = frame(T.DATA, Buffer.alloc(64 * 1024, 0x5a));
const FRAMES = Math.ceil((Number(values.mib) * 1024 * 1024) / (64 * 1024));
const WIRE_BYTES = FRAMES * FRAME.length;
const PW = 'bench-password';

/** One call from a machine on `txPort` to one on `rxPort`: milliseconds from the first frame written to the last byte received. */
async function call(txPort: number, rxPort: number): Promise<number> {
  const tx = await RawFax.login(txPort, 'tx', PW);
  const rx = await RawFax.login(rxPort, 'rx', PW);
  for (let i = 0; i < 100; i++) {
    tx.send(T.LIST);
    if (((await tx.next(T.LIST_RESULT)).body.users as string[]).includes('rx')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await pair(tx, rx, 'rx');
  const t0 = performance.now();
  const done = received(rx.socket, WIRE_BYTES);
  await pump(tx.socket, FRAME, FRAMES);
  await done;
  const ms = performance.now() - t0;
  tx.end();
  rx.end();
  await new Promise((r) => setTimeout(r, 300));
  return ms;
}

const c = await startCluster(2);
try {
  for (const id of ['tx', 'rx']) cliJson(c.nodes[0]!.dataDir, ['--database-url', c.databaseUrl, 'fax', 'user', 'add', id, '--password', PW]);
  const [a, b] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]];
  const mbs = (ms: number): number => WIRE_BYTES / 1e6 / (ms / 1000);
  const runs = { within: [] as number[], across: [] as number[] };
  for (let r = 0; r < Number(values.runs); r++) {
    runs.within.push(mbs(await call(a.faxPort, a.faxPort)));
    runs.across.push(mbs(await call(a.faxPort, b.faxPort)));
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`one call, ${FRAMES} DATA frames of 64 KiB (${(WIRE_BYTES / 1048576).toFixed(0)} MiB on the wire), median of ${values.runs} runs`);
  for (const [name, xs] of Object.entries(runs)) console.log(`  ${name === 'within' ? 'within one node ' : 'across two nodes'} ${median(xs).toFixed(0).padStart(5)} MB/s   (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
} finally {
  await c.stop();
}
