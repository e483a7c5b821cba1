import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLI, type RelayProcess } from './relay.js';
import { storeArgs } from './store.js';

/** `fleetrelay device simulate …` against the relay; `ready` is the first stdout line matching `until`. */
export function simulate(relay: RelayProcess, args: string[], until = /devices connected/) {
  const proc = spawn(process.execPath, [CLI, '--data-dir', relay.dataDir, ...storeArgs(relay.dataDir), '--relay', relay.url, 'device', 'simulate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`simulator not ready: ${lines.join('\n')}`)), 20_000);
    createInterface({ input: proc.stdout }).on('line', (l) => {
      lines.push(l);
      if (until.test(l)) {
        clearTimeout(t);
        resolve(l);
      }
    });
    createInterface({ input: proc.stderr }).on('line', (l) => lines.push(l));
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`simulator exited with ${code}: ${lines.join('\n')}`));
    });
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  return { proc, ready, exited, lines };
}
