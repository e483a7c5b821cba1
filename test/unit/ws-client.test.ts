import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { WsClient } from '../../src/device/sdk/ws-client.js';

/**
 * The device SDK's WebSocket client against a server that writes the stream's elements with the
 * `stream:` prefix, as ejabberd does (RFC 7395 allows either): the client must go by namespace and
 * local name, not by the name as written.
 */
describe('WsClient with a prefixed stream namespace', () => {
  it('logs in, binds, and takes a prefixed stream error as the end of the session', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'xmpp' });
    await once(wss, 'listening');
    const STREAM = "xmlns:stream='http://etherx.jabber.org/streams'";
    const open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='peer.local' id='s1' version='1.0'/>";
    wss.on('connection', (ws) => {
      let opens = 0;
      ws.on('message', (data) => {
        const frame = String(data);
        if (frame.startsWith('<open')) {
          ws.send(open);
          ws.send(
            opens++ === 0
              ? `<stream:features ${STREAM}><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`
              : `<stream:features ${STREAM}><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
          );
        } else if (frame.startsWith('<auth')) ws.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        else if (frame.includes("id='bind'"))
          ws.send("<iq xmlns='jabber:client' type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>dev@peer.local/relay</jid></bind></iq>");
      });
    });
    const ended: (string | null)[] = [];
    const client = new WsClient({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
      domain: 'peer.local',
      onStanza: () => undefined,
      onEnd: (condition) => ended.push(condition),
    });
    try {
      assert.equal(await client.open('dev', 'secret'), 'dev@peer.local/relay');
      for (const ws of wss.clients) ws.send(`<stream:error ${STREAM}><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`);
      for (let i = 0; i < 100 && ended.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(ended, ['conflict']);
      assert.equal(client.ended, true);
    } finally {
      client.abandon();
      wss.close();
    }
  });
});
