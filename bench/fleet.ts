/** Fleets for the benches, provisioned straight into a relay's store: the relay sees them at once. */
import { systemClock } from '../src/domain/clock.js';
import type { Device } from '../src/domain/devices.js';
import type { SimulatedDevice } from '../src/device/sim/simulator.js';
import { createServices } from '../src/services/index.js';
import { cryptoRandom } from '../src/services/kernel/secrets.js';
import type { Store } from '../src/store/store.js';
import { openStore } from '../src/stores.js';
import { databaseUrlFor } from '../test/helpers/store.js';

/** `n` devices in the relay's store (SQLite, or PostgreSQL under FLEETRELAY_TEST_STORE=postgres), with their credentials; `each` runs after each one. */
export async function provisionFleet(
  dataDir: string,
  n: number,
  o: { serial: (i: number) => string; model?: (i: number) => string; each?: (device: Device, i: number, store: Store) => Promise<void> },
): Promise<SimulatedDevice[]> {
  const store = await openStore({ dataDir, databaseUrl: databaseUrlFor(dataDir) });
  try {
    const services = createServices({ store, clock: systemClock, random: cryptoRandom(), domain: 'fleetrelay.local' }, { registrationTtlMs: 60_000 });
    const fleet: SimulatedDevice[] = [];
    for (let i = 0; i < n; i++) {
      const [serial, model] = [o.serial(i), o.model?.(i) ?? 'LoadJet'];
      const { device, credentials } = await services.devices.provision({ kind: 'cli' }, { serial, model });
      fleet.push({ ...credentials, serial, model });
      await o.each?.(device, i, store);
    }
    return fleet;
  } finally {
    await store.close();
  }
}
