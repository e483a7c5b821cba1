/**
 * Two relay processes on one PostgreSQL database, each with its own data directory: what one
 * takes in, the other serves, and what one revokes, the other refuses at once. Runs on
 * PostgreSQL in both halves of the suite (two relays share a store only there).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { api, cliJson, startRelay, tempDir, type RelayProcess } from './helpers/relay.js';
import { postgresUrlFor } from './helpers/store.js';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3 * 1024 * 1024 + 17, 0x20), Buffer.from('\n%%EOF\n')]);
const sha = (b: Buffer | Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('two relays sharing one PostgreSQL database', () => {
  const url = postgresUrlFor(tempDir('fleetrelay-shared-'));
  let a: RelayProcess;
  let b: RelayProcess;
  let admin: string;

  before(async () => {
    a = await startRelay({ args: ['--database-url', url] });
    b = await startRelay({ args: ['--database-url', url] });
    admin = cliJson<{ token: string }>(a.dataDir, ['--database-url', url, 'token', 'create', '--admin']).token;
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('a document uploaded to one relay is fetched whole, and by range, from the other', async () => {
    const printer = (await api(a.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'SHARED-1', model: 'EP-884A' } })).body as { deviceId: string; token: string };
    assert.equal((await api(b.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true } })).status, 200);
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(PDF)]), 'big.pdf');
    const submitted = await fetch(`${a.url}/api/v1/printers/${printer.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    assert.equal(submitted.status, 201);
    const { jobId } = (await submitted.json()) as { jobId: string };

    const whole = await fetch(`${b.url}/device/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${printer.token}` } });
    assert.equal(whole.status, 200);
    assert.equal(sha(new Uint8Array(await whole.arrayBuffer())), sha(PDF));
    const part = await fetch(`${b.url}/device/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${printer.token}`, range: 'bytes=1048570-2097160' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), PDF.subarray(1048570, 2097161));
    assert.equal((await api(a.url, `/api/v1/jobs/${jobId}`, { token: admin })).body.state, 'fetched', 'the fetch on one relay moved the job for both');
  });

  it('a token revoked through one relay is refused by the other on its next request', async () => {
    const made = (await api(b.url, '/api/v1/tokens', { method: 'POST', token: admin, json: { admin: true, label: 'short-lived' } })).body as { id: string; token: string };
    assert.equal((await api(a.url, '/api/v1/devices', { token: made.token })).status, 200);
    assert.equal((await api(b.url, `/api/v1/tokens/${made.id}`, { method: 'DELETE', token: admin })).status, 204);
    assert.equal((await api(a.url, '/api/v1/devices', { token: made.token })).status, 401);
  });
});
