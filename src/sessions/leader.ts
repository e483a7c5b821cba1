import type { Bus } from '../bus/bus.js';
import type { Clock } from '../domain/clock.js';
import type { DeviceStore } from '../store/core.js';
import type { DeviceDirectory } from './directory.js';
import { DEAD_AFTER_MS } from './nodes.js';

/** Work that must run once per cluster, started on the node that holds the lease and stopped when it loses it. */
export interface Singleton {
  start(): void;
  stop(): void;
}

const RECONCILE_PAGE = 1_000;

/**
 * The cluster's leader (DESIGN §2: sweeps, outbox retries, rollouts run on one elected node and
 * move when it dies). Besides the singletons it is given, the leader keeps stored presence true
 * to the cluster: devices of a node that died are written OFFLINE, and when it takes over, devices
 * the store says are ONLINE but no live node holds (a whole cluster that stopped) too.
 */
export class Leader {
  private leading = false;
  private cancelReconcile: (() => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly devices: DeviceStore,
    private readonly directory: DeviceDirectory,
    private readonly singletons: Singleton[],
    private readonly log: (msg: string, fields?: Record<string, unknown>) => void,
  ) {
    directory.on('lost', (node, ids) => {
      if (!this.leading) return;
      this.log('relay node lost: its devices are OFFLINE', { node, devices: ids.length });
      const at = clock.now();
      void devices.savePresence(ids.map((deviceId) => ({ deviceId, online: false, lastSeenAt: at }))).catch(() => undefined);
    });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.bus.lead('singletons', (leading) => {
      this.leading = leading;
      this.log(leading ? 'this node leads the cluster: sweeps, outbox retries' : 'this node no longer leads the cluster', { node: this.bus.node });
      for (const s of this.singletons) leading ? s.start() : s.stop();
      this.cancelReconcile?.();
      // Every live node has told its list within a heartbeat horizon.
      if (leading) this.cancelReconcile = this.clock.after(DEAD_AFTER_MS, () => void this.reconcile().catch(() => undefined));
    });
  }

  stop(): void {
    this.cancelReconcile?.();
    if (this.leading) for (const s of this.singletons) s.stop();
    this.leading = false;
  }

  private async reconcile(): Promise<void> {
    let cursor: string | undefined;
    const stale: { deviceId: string; online: false; lastSeenAt: number }[] = [];
    do {
      const page = await this.devices.list({ online: true, cursor, limit: RECONCILE_PAGE });
      for (const d of page.items) if (!this.directory.isOnline(d.id)) stale.push({ deviceId: d.id, online: false, lastSeenAt: d.lastSeenAt ?? this.clock.now() });
      cursor = page.nextCursor ?? undefined;
    } while (cursor && this.leading);
    if (!this.leading || stale.length === 0) return;
    await this.devices.savePresence(stale);
    this.log('stored presence corrected: devices no live node holds are OFFLINE', { devices: stale.length });
  }
}
