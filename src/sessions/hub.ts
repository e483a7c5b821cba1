import type { DeviceMessage } from '../domain/messages.js';
import type { PresenceService } from './presence.js';

/** What a transport gives the hub for one bound device session. */
export interface DeviceLink {
  /** What carries the session (a getter on the class: nothing per session). */
  readonly transport: 'bosh' | 'websocket';
  /** Queues a message for the device (sent now on a held request, or with the next one). False if it cannot take more. */
  deliver(msg: DeviceMessage): boolean;
  /** Ends the session: replaced by a newer one, the device went offline, its credentials were revoked, or the relay stops. */
  close(reason: 'replaced' | 'offline' | 'revoked' | 'shutdown'): void;
}

/**
 * Which session holds each device (seed 000 DB 77 "connection information", S342), and the
 * link between sessions and presence. One session per device: a new bind replaces the old
 * (a device that lost its sid after power-off simply starts again, FIG. 8).
 */
export class SessionHub {
  private readonly links = new Map<string, DeviceLink>();
  private readonly boundListeners: ((deviceId: string) => void)[] = [];

  constructor(private readonly presence: PresenceService) {
    presence.on('offline', (deviceId, reason) => {
      if (reason !== 'timer') return;
      const link = this.links.get(deviceId);
      this.links.delete(deviceId);
      link?.close('offline');
    });
  }

  get size(): number {
    return this.links.size;
  }

  /** The devices whose sessions this node holds. */
  devices(): IterableIterator<string> {
    return this.links.keys();
  }

  holds(deviceId: string): boolean {
    return this.links.has(deviceId);
  }

  transportOf(deviceId: string): 'bosh' | 'websocket' | null {
    return this.links.get(deviceId)?.transport ?? null;
  }

  /**
   * Calls `fn` whenever a device binds a session: the first one (OFFLINE → ONLINE) and every
   * later one that replaces another while the device stays ONLINE (a printer that restarted and
   * logged in again before its old session timed out). What went down the old session is lost.
   */
  onBound(fn: (deviceId: string) => void): void {
    this.boundListeners.push(fn);
  }

  bind(deviceId: string, link: DeviceLink): void {
    const old = this.links.get(deviceId);
    this.links.set(deviceId, link);
    if (old && old !== link) old.close('replaced');
    this.presence.online(deviceId);
    for (const fn of this.boundListeners) {
      try {
        fn(deviceId);
      } catch {
        // A listener's failure must not undo the bind; listeners handle their own errors.
      }
    }
  }

  /** Any request on the session (S364). */
  activity(deviceId: string, link: DeviceLink): void {
    if (this.links.get(deviceId) === link) this.presence.touch(deviceId);
  }

  unbind(deviceId: string, link: DeviceLink): void {
    if (this.links.get(deviceId) !== link) return;
    this.links.delete(deviceId);
    this.presence.offline(deviceId);
  }

  /** Hands a message to the device's session; false if it has none or it is full. */
  deliver(deviceId: string, msg: DeviceMessage): boolean {
    const link = this.links.get(deviceId);
    return link !== undefined && this.presence.isOnline(deviceId) && link.deliver(msg);
  }

  /** The device bound a newer session on another node: the one here ends. */
  release(deviceId: string): void {
    this.end(deviceId, 'replaced');
  }

  /** The device's token was rotated or revoked, or the device removed: its session ends now. */
  revoke(deviceId: string): void {
    this.end(deviceId, 'revoked');
  }

  private end(deviceId: string, reason: 'replaced' | 'revoked'): void {
    const link = this.links.get(deviceId);
    if (!link) return;
    this.links.delete(deviceId);
    this.presence.offline(deviceId);
    link.close(reason);
  }

  closeAll(): void {
    for (const [deviceId, link] of [...this.links]) {
      this.links.delete(deviceId);
      link.close('shutdown');
    }
  }
}
