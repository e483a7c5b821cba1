import { BoshClient, type BoshClientOptions } from './bosh-client.js';
import { WsClient } from './ws-client.js';

/** A device's XMPP session, over whichever transport. */
export type StreamClient = BoshClient | WsClient;

/** The transport the URL names: ws:// or wss:// is XMPP over WebSocket (RFC 7395), http(s):// is BOSH. */
export function streamClient(o: BoshClientOptions): StreamClient {
  return /^wss?:/i.test(o.url) ? new WsClient(o) : new BoshClient(o);
}

/** Where a relay takes each transport. */
export function sessionUrl(relayUrl: string, transport: 'bosh' | 'websocket'): string {
  return transport === 'websocket' ? `${relayUrl.replace(/^http/i, 'ws')}/xmpp-websocket` : `${relayUrl}/http-bind`;
}
