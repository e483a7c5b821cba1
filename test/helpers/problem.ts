import assert from 'node:assert/strict';
import type { ApiResponse } from './relay.js';

/** Asserts an RFC 9457 problem+json answer of the given status and problem name. */
export function assertProblem(r: ApiResponse, status: number, name: string): void {
  assert.equal(r.status, status, `expected ${status} ${name}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(r.body.type, `/problems/${name}`);
  assert.equal(r.body.status, status);
  assert.equal(typeof r.body.title, 'string');
  assert.equal(typeof r.body.detail, 'string');
}
