/**
 * The bus between relay nodes (DESIGN §2 "Cluster"): a request to one named node, a broadcast to
 * every node, and a lease that one node holds at a time. Bodies are JSON values. Two adapters:
 * local (one node, in-process: no other node exists) and NATS (a cluster).
 */
export interface Bus {
  /** This node's name on the bus. */
  readonly node: string;
  /**
   * Asks one node and waits for its answer. `NodeUnreachable` at once when no node by that name
   * listens (NATS "no responders"), `BusTimeout` after `timeoutMs`, `RemoteError` when the node's
   * handler failed.
   */
  request(node: string, topic: string, body: unknown, timeoutMs: number): Promise<unknown>;
  /** Tells one node, without waiting: lost if it is gone. */
  tell(node: string, topic: string, body: unknown): void;
  /** Answers what other nodes ask (or tell) this one on `topic`. */
  serve(topic: string, handler: (body: unknown) => Promise<unknown> | unknown): void;
  /** Tells every other node. At most once, in order from one node; nothing is kept for a node that is away. */
  broadcast(topic: string, body: unknown): void;
  onBroadcast(topic: string, fn: (body: unknown, from: string) => void): void;
  /**
   * Competes for the named lease: at most one live node holds it; when its holder dies, another
   * takes it within the lease's life. `onChange` says when this node gains or loses it.
   */
  lead(name: string, onChange: (leading: boolean) => void): void;
  close(): Promise<void>;
}

/** No node by that name listens: it stopped or died. */
export class NodeUnreachable extends Error {
  constructor(readonly node: string) {
    super(`relay node ${node} is not reachable`);
  }
}

export class BusTimeout extends Error {
  constructor(readonly node: string, ms: number) {
    super(`relay node ${node} did not answer within ${ms} ms`);
  }
}

/** The other node's handler failed; its message travels back. */
export class RemoteError extends Error {}

/** Node names go into bus subjects: letters, digits, '-' and '_' only. */
export const NODE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
