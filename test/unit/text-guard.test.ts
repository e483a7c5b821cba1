import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { holdsNul } from '../../src/http/text-guard.js';

describe('NUL guard', () => {
  it('finds NUL in parsed JSON, form and query values, keys included', () => {
    assert.equal(holdsNul({ a: ['x', { b: 'y\u0000' }] }), true);
    assert.equal(holdsNul({ 'k\u0000': 1 }), true);
    assert.equal(holdsNul(Object.assign(Object.create(null) as object, { q: 'a\u0000' })), true);
    assert.equal(holdsNul({ a: ['x', { b: 'y' }] }), false);
  });

  it('does not walk a body taken as bytes or as a stream (a 64 MiB program, an IPP request): it is not text', () => {
    const stream = new PassThrough();
    // A cycle, as a socket's references make, and text on the object: neither is the body's text.
    Object.assign(stream, { self: stream, note: 'a\u0000' });
    assert.equal(holdsNul(stream), false);
    const bytes = Object.assign(Buffer.from('program'), { note: 'b\u0000' });
    assert.equal(holdsNul(bytes), false);
  });
});
