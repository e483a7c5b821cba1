/**
 * A load process of virtual MFPs for bench/relay-load.ts and bench/cluster.ts: started with
 * fork(), told which devices to run and from which source address(es), it reports when they are
 * connected, and on {count} how many are connected now.
 */
import { Simulator, type SimulatedDevice } from '../src/device/sim/simulator.js';

interface Start {
  relayUrl: string;
  domain: string;
  devices: SimulatedDevice[];
  /** One source address, or `sources` to spread the devices over several. */
  source?: string;
  sources?: string[];
  wait: number;
  concurrency: number;
}

let sim: Simulator | null = null;
// The bench that forked this process is gone (it crashed or was stopped): so are its devices.
process.on('disconnect', () => process.exit(0));

process.on('message', (msg: { start?: Start; stop?: true; count?: true }) => {
  if (msg.start) {
    const s = msg.start;
    sim = new Simulator({
      relayUrl: s.relayUrl,
      domain: s.domain,
      devices: s.devices,
      wait: s.wait,
      localAddresses: s.sources ?? (s.source ? [s.source] : undefined),
      startConcurrency: s.concurrency,
      survivalMs: 0,
    });
    const t0 = performance.now();
    void sim.start().then(() => process.send!({ started: true, connected: sim!.connected, ms: performance.now() - t0 }));
  }
  if (msg.count) process.send!({ connected: sim?.connected ?? 0, answered: sim?.answered ?? 0 });
  if (msg.stop) void (sim?.stop() ?? Promise.resolve()).then(() => process.exit(0));
});
