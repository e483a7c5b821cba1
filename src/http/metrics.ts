import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Prometheus metrics for one relay process. Later services add their gauges to `registry`. */
export function createMetrics(live: { sessions: () => number; websocketSessions: () => number; sessionsEnded: () => ReadonlyMap<string, number>; websocketSessionsEnded: () => ReadonlyMap<string, number>; online: () => number; leader: () => number; nodes: () => number; pending: () => number; faxConnections: () => number; faxCalls: () => number; faxBytes: () => number; outbox: () => number }) {
  const registry = new Registry();
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  };
  gauge('fleetrelay_bosh_sessions', 'BOSH sessions held', live.sessions);
  gauge('fleetrelay_websocket_sessions', 'XMPP over WebSocket sessions held', live.websocketSessions);
  const byWhy = (name: string, help: string, read: () => ReadonlyMap<string, number>): void => {
    new Gauge({ name, help, labelNames: ['why'] as const, registers: [registry], collect() { for (const [why, n] of read()) this.set({ why }, n); } });
  };
  byWhy(
    'fleetrelay_bosh_sessions_ended_total',
    'BOSH sessions ended since start, by why: inactivity, client (it said terminate), replaced, revoked, offline (management timer), or the condition sent (BOSH or stream error)',
    live.sessionsEnded,
  );
  byWhy(
    'fleetrelay_websocket_sessions_ended_total',
    'XMPP over WebSocket sessions ended since start, by why: client (it closed the stream or the connection), network, inactivity (no pong), replaced, revoked, offline, shutdown, or the stream error sent',
    live.websocketSessionsEnded,
  );
  gauge('fleetrelay_devices_online', 'Devices ONLINE (bound session, management timer running)', live.online);
  gauge('fleetrelay_cluster_leader', '1 on the node that runs the sweeps and outbox retries for the cluster (the only node when alone)', live.leader);
  gauge('fleetrelay_cluster_nodes', 'Relay nodes alive in the cluster, this one included', live.nodes);
  gauge('fleetrelay_push_pending', 'Push requests waiting for a device answer', live.pending);
  gauge('fleetrelay_fax_connections', 'Fax relay TCP connections open', live.faxConnections);
  gauge('fleetrelay_fax_calls_total', 'Fax connection demands notified to a callee since start', live.faxCalls);
  gauge('fleetrelay_fax_relayed_bytes_total', 'DATA bytes relayed between paired fax connections since start', live.faxBytes);
  gauge('fleetrelay_outbox_waiting', 'Mails and webhook calls waiting for an attempt or a retry', live.outbox);
  collectDefaultMetrics({ register: registry, prefix: 'fleetrelay_' });
  const httpRequests = new Counter({
    name: 'fleetrelay_http_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  return { registry, httpRequests };
}

export type Metrics = ReturnType<typeof createMetrics>;
