import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SimulatedDevice } from '../device/sim/simulator.js';
import { DEVICE_HTTP } from '../protocol/device-http.js';
import { callRelay } from './client.js';
import { CLI, withServices, type GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { relayAnswer, relayFetch } from './relay-http.js';

export const SIM_MODELS = { mfp: 'FleetRelay VirtualMFP', printer: 'FleetRelay VirtualPrinter' } as const;

/** The devices made on one relay: their tokens only work there. */
interface RelayDevices {
  domain: string;
  devices: SimulatedDevice[];
}

/** The state file: devices keyed by relay URL, so one file can serve several relays. */
interface StateFile {
  relays: Record<string, RelayDevices>;
}

/** A file from before devices were keyed by relay: whose they are is not known. */
const UNKNOWN_RELAY = '(a relay not recorded)';

function readState(file: string): StateFile {
  if (!existsSync(file)) return { relays: {} };
  const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateFile> & Partial<RelayDevices>;
  if (s.relays) return { relays: s.relays };
  return { relays: s.devices?.length ? { [UNKNOWN_RELAY]: { domain: s.domain ?? '', devices: s.devices } } : {} };
}

function writeState(file: string, state: StateFile): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The relay still knows the first kept device: else its data directory was reset, or the URL is another relay's now. */
async function checkStillKnown(relay: string, stateFile: string, d: SimulatedDevice): Promise<void> {
  const url = new URL(`${DEVICE_HTTP}/self`.slice(1), `${relay}/`);
  const res = await relayFetch(url, { headers: { authorization: `Bearer ${d.token}` }, signal: AbortSignal.timeout(30_000) });
  if (res.status === 401 || res.status === 403 || res.status === 404)
    throw new UsageError(
      `the devices ${stateFile} keeps for ${relay} are unknown to it (${res.status}): its data directory was reset, or another relay answers there now; remove ${stateFile} or give another --state`,
    );
  await relayAnswer(res);
}

/** Gives each simulated MFP a fax user (fax-<deviceId>) with a random password, kept in the state file. */
async function addFaxLines(g: GlobalOptions, devices: SimulatedDevice[], viaDataDir: boolean): Promise<void> {
  for (const d of devices) {
    if (d.fax) continue;
    const fax = { user: `fax-${d.deviceId}`, password: randomBytes(18).toString('base64url') };
    if (viaDataDir) await withServices(g, (s) => s.faxUsers.add(CLI, { id: fax.user, password: fax.password }));
    else await callRelay(g, 'POST', 'api/v1/fax/users', { id: fax.user, password: fax.password });
    d.fax = fax;
  }
}

/**
 * Devices for the simulator on `relay`: those of the model kept in the state file for that relay,
 * the missing ones provisioned (with --token through the relay, else on --data-dir).
 */
export async function simulatedDevices(
  g: GlobalOptions,
  o: { relay: string; count: number; model: string; stateFile: string; withFax: boolean; say: (line: string) => void },
): Promise<RelayDevices> {
  const state = readState(o.stateFile);
  const mine = (state.relays[o.relay] ??= { domain: '', devices: [] });
  const others = Object.keys(state.relays).filter((r) => r !== o.relay);
  if (mine.devices.length === 0 && others.length > 0)
    o.say(`${o.stateFile} keeps devices for ${others.join(', ')}, not for ${o.relay}: making new ones for it`);
  const reused = mine.devices.filter((d) => d.model === o.model);
  if (reused.length > 0) await checkStillKnown(o.relay, o.stateFile, reused[0]!);
  const viaDataDir = !g.token;
  const run = Date.now().toString(36);
  for (let i = reused.length; i < o.count; i++) {
    const serial = `SIM-${run}-${i}`;
    const c = viaDataDir
      ? (await withServices(g, (s) => s.devices.provision(CLI, { serial, model: o.model }))).credentials
      : ((await callRelay(g, 'POST', 'api/v1/devices', { serial, model: o.model })) as { deviceId: string; jid: string; token: string; vendorPublicKey?: string });
    mine.domain = c.jid.slice(c.jid.indexOf('@') + 1);
    const d: SimulatedDevice = { deviceId: c.deviceId, token: c.token, serial, model: o.model, ...(c.vendorPublicKey ? { vendorPublicKey: c.vendorPublicKey } : {}) };
    mine.devices.push(d);
    reused.push(d);
    if (i % 200 === 199) writeState(o.stateFile, state);
  }
  const devices = reused.slice(0, o.count);
  if (o.withFax) await addFaxLines(g, devices, viaDataDir);
  writeState(o.stateFile, state);
  return { domain: mine.domain, devices };
}
