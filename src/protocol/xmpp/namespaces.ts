/** Every XML namespace the relay and the device SDK speak, one copy each. */
export const NS = {
  /** XEP-0124 BOSH bodies, and XEP-0206's xmpp: attributes on them. */
  httpbind: 'http://jabber.org/protocol/httpbind',
  xbosh: 'urn:xmpp:xbosh',
  /** RFC 7395 XMPP over WebSocket: the <open/> and <close/> that frame the stream. */
  framing: 'urn:ietf:params:xml:ns:xmpp-framing',
  /** RFC 6120 streams, stanzas and their errors. */
  stream: 'http://etherx.jabber.org/streams',
  client: 'jabber:client',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  ping: 'urn:xmpp:ping',
  roster: 'jabber:iq:roster',
  /** FleetRelay's push relay: GET/SET of objects named by OID (seed 000). The name predates "push"; it is on the wire. */
  push: 'urn:fleetrelay:mgmt:1',
  /** FleetRelay's cloud print: job notices and cancels (seed 002). */
  print: 'urn:fleetrelay:print:1',
} as const;
