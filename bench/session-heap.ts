/**
 * What one idle device session costs on the relay's heap, by kind of object: the relay takes a
 * heap snapshot before and after `--sessions` devices connect (over `--transport`), and the objects
 * new in the second are summed by constructor. A heap snapshot is exact where RSS is not (RSS also
 * holds the setup's garbage until a major GC, and the young generation's growth), so this is the
 * figure to watch when trimming what a session holds.
 *
 *   npm run build && node dist/bench/session-heap.js [--sessions 3000] [--transport websocket|bosh] [--top 30]
 *
 * One-time costs (compiled code, the first entries of maps) are spread over the sessions too: a few
 * hundred bytes at 3,000.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRelay } from '../test/helpers/relay.js';
import { provisionFleet } from './fleet.js';
import { sleep } from './measure.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '3000' },
    transport: { type: 'string', default: 'websocket' },
    top: { type: 'string', default: '30' },
  },
});
const SESSIONS = Number(values.sessions);
const transport = values.transport as 'websocket' | 'bosh';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Heap snapshot nodes by kind: [count, self bytes], only those whose id is not in `before`. */
function newObjects(file: string, before: Set<number> | null): { ids: Set<number>; kinds: Map<string, [number, number]> } {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [iType, iName, iId, iSize] = ['type', 'name', 'id', 'self_size'].map((x) => f.indexOf(x)) as [number, number, number, number];
  const ids = new Set<number>();
  const kinds = new Map<string, [number, number]>();
  for (let i = 0; i < s.nodes.length; i += f.length) {
    const id = s.nodes[i + iId]!;
    ids.add(id);
    if (before?.has(id)) continue;
    const type = types[s.nodes[i + iType]!]!;
    const name = s.strings[s.nodes[i + iName]!]!;
    const kind = type === 'object' ? name : type === 'closure' ? 'closure' : type.includes('string') ? '(strings)' : `(${type}) ${type === 'hidden' || type === 'array' || type === 'synthetic' || type === 'native' ? name.slice(0, 40) : ''}`.trim();
    const k = kinds.get(kind) ?? [0, 0];
    k[0]++;
    k[1] += s.nodes[i + iSize]!;
    kinds.set(kind, k);
  }
  return { ids, kinds };
}

const dir = mkdtempSync(join(tmpdir(), 'fleetrelay-heap-'));
const relay = await startRelay({
  args: ['--bosh-wait', '60', '--admit-rate', '1000000'],
  env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '1000000' },
  nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`],
  sqlite: true,
});
const devices = await provisionFleet(relay.dataDir, SESSIONS, { serial: (i) => `HEAP-${i}` });

/** Asks the relay for a heap snapshot and waits until it is written. */
async function snapshot(): Promise<string> {
  const had = new Set(readdirSync(dir));
  relay.proc.kill('SIGUSR2');
  for (;;) {
    await sleep(500);
    const file = readdirSync(dir).find((x) => !had.has(x) && x.endsWith('.heapsnapshot'));
    if (!file) continue;
    // Written in pieces while the relay walks its heap: done when it has stopped growing for a second.
    let size = -1;
    while (size <= 0 || statSync(join(dir, file)).size !== size) {
      size = statSync(join(dir, file)).size;
      await sleep(1000);
    }
    return join(dir, file);
  }
}

const workers = Array.from({ length: 2 }, () => fork(fileURLToPath(new URL('./device-worker.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
try {
  await sleep(1000);
  const before = newObjects(await snapshot(), null);
  const per = Math.ceil(SESSIONS / workers.length);
  const connected = await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<number>((resolve) => {
          w.on('message', (m: { started?: boolean; connected: number }) => m.started && resolve(m.connected));
          w.send({ start: { relayUrl: relay.url, domain: 'fleetrelay.local', devices: devices.slice(i * per, (i + 1) * per), source: `127.0.0.${2 + i}`, wait: 60, concurrency: 100, transport } });
        }),
    ),
  );
  const held = connected.reduce((a, b) => a + b, 0);
  await sleep(3000);
  const after = newObjects(await snapshot(), before.ids);
  const rows = [...after.kinds].sort((a, b) => b[1][1] - a[1][1]);
  const total = rows.reduce((sum, [, [, bytes]]) => sum + bytes, 0);
  console.log(`${held} ${transport} sessions: ${Math.round(total / held)} heap bytes each (new objects' self sizes)\n\n| bytes | objects | kind |\n|---:|---:|---|`);
  for (const [kind, [count, bytes]] of rows.slice(0, Number(values.top))) console.log(`| ${(bytes / held).toFixed(0)} | ${(count / held).toFixed(2)} | ${kind} |`);
} finally {
  for (const w of workers) w.kill();
  await relay.stop();
  rmSync(dir, { recursive: true, force: true });
}
