import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientAddress } from '../../src/transports/client-address.js';

describe('the client address of a device request (BOSH, WebSocket)', () => {
  const req = (forwarded?: string | string[]) => ({ socket: { remoteAddress: '127.0.0.1' }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

  it('is the socket address unless the proxy is trusted', () => {
    assert.equal(clientAddress(req('203.0.113.9'), false), '127.0.0.1', 'a device cannot pick its own address');
    assert.equal(clientAddress(req(), true), '127.0.0.1');
  });

  it('behind a trusted proxy, the first X-Forwarded-For entry when it is an address', () => {
    assert.equal(clientAddress(req('203.0.113.9'), true), '203.0.113.9');
    assert.equal(clientAddress(req(' 2001:db8::7 , 10.0.0.1'), true), '2001:db8::7');
    assert.equal(clientAddress(req(['198.51.100.4, 10.0.0.1']), true), '198.51.100.4');
    assert.equal(clientAddress(req('not-an-address, 10.0.0.1'), true), '127.0.0.1');
    assert.equal(clientAddress(req(''), true), '127.0.0.1');
  });
});
