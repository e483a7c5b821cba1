/**
 * A load process of virtual MFPs for bench/relay-load.ts and bench/cluster.ts: started with
 * fork(), told which devices to run and from which source address(es), it reports when they are
 * connected, on {count} how many are connected now, and on {pushes} when each pushed request
 * reached its device (CLOCK_MONOTONIC, see measure.ts), for one-way latency.
 */
import { Simulator, type SimulatedDevice } from '../src/device/sim/simulator.js';
import { monotonicMs } from './measure.js';

interface Start {
  relayUrl: string;
  domain: string;
  devices: SimulatedDevice[];
  /** One source address, or `sources` to spread the devices over several. */
  source?: string;
  sources?: string[];
  wait: number;
  concurrency: number;
  /** Each device its own connections (see SimulatorOptions.agentPerDevice). */
  agentPerDevice?: boolean;
  transport?: 'bosh' | 'websocket';
}

let sim: Simulator | null = null;
/** Session attempts refused with 503 (admission control), attempts failed otherwise, sessions lost. */
const seen = { busy: 0, failed: 0, ended: 0 };
/** Why session attempts failed (other than 503) and sessions ended, by message. */
const reasons = new Map<string, number>();
/** Request ID → when the pushed request reached its device, since the last {pushes}. */
let pushes: [string, number][] = [];
// The bench that forked this process is gone (it crashed or was stopped): so are its devices.
process.on('disconnect', () => process.exit(0));

process.on('message', (msg: { start?: Start; stop?: true; count?: true; pushes?: true }) => {
  if (msg.start) {
    const s = msg.start;
    sim = new Simulator({
      relayUrl: s.relayUrl,
      domain: s.domain,
      devices: s.devices,
      wait: s.wait,
      localAddresses: s.sources ?? (s.source ? [s.source] : undefined),
      startConcurrency: s.concurrency,
      agentPerDevice: s.agentPerDevice,
      transport: s.transport,
      survivalMs: 0,
      onEvent: (event, detail) => {
        if (event === 'push') return void pushes.push([(detail as { requestId: string }).requestId, monotonicMs()]);
        const why = String(detail).slice(0, 80);
        if (event === 'session-failed' && why.includes('busy admitting')) seen.busy++;
        else if (event === 'session-failed') {
          seen.failed++;
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
        else if (event === 'session-ended') {
          seen.ended++;
          reasons.set(`ended: ${why}`, (reasons.get(`ended: ${why}`) ?? 0) + 1);
        }
      },
    });
    const t0 = performance.now();
    void sim.start().then(() => process.send!({ started: true, connected: sim!.connected, ms: performance.now() - t0 }));
  }
  if (msg.count) process.send!({ connected: sim?.connected ?? 0, answered: sim?.answered ?? 0, ...seen, reasons: Object.fromEntries(reasons) });
  if (msg.pushes) {
    process.send!({ pushes });
    pushes = [];
  }
  if (msg.stop) void (sim?.stop() ?? Promise.resolve()).then(() => process.exit(0));
});
