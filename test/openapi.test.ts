import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminToken, api, ROOT, startRelay, tempDir, type RelayProcess } from './helpers/relay.js';

/** The project's @redocly/cli (a devDependency); REDOCLY_BIN points at another install of the same version. */
const REDOCLY = process.env.REDOCLY_BIN ?? join(ROOT, 'node_modules/.bin/redocly');

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, unknown>;
}
interface OpenApi {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every `METHOD /path` in the README's API table, spelled out: `GET|POST`, `a\|b` segments, `[/optional]`, `…/more`. */
export function readmeRoutes(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## The API'), readme.indexOf('\n## ', readme.indexOf('## The API') + 1));
  const routes: string[] = [];
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const what = line.split(/(?<!\\)\|/)[1] ?? '';
    let previous = '';
    for (const [, span] of what.matchAll(/`([^`]+)`/g)) {
      const m = /^([A-Z][A-Z/\\|]*) (\S+)$/.exec(span!.replace(/\\\|/g, '|'));
      if (!m) continue;
      let path = m[2]!.replace(/\[\?[^\]]*\]/, '').replace(/\?.*$/, '');
      if (path.startsWith('…')) path = previous + path.slice(1);
      previous = path;
      let paths = [path];
      const optional = /\[([^\]]+)\]/.exec(path);
      if (optional) paths = [path.replace(optional[0], ''), path.replace(optional[0], optional[1]!)];
      paths = paths.flatMap((p) => {
        const alt = /\/([\w-]+(?:\|[\w-]+)+)(?=\/|$)/.exec(p);
        return alt ? alt[1]!.split('|').map((a) => p.replace(alt[1]!, a)) : [p];
      });
      for (const method of m[1]!.split(/[/|]/)) for (const p of paths) routes.push(`${method} ${p}`);
    }
  }
  return routes;
}

describe('the OpenAPI document: redocly lint clean, every README route in it', () => {
  let relay: RelayProcess;
  let doc: OpenApi;
  let file: string;

  before(async () => {
    relay = await startRelay();
    const r = await api<OpenApi>(relay.url, '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    doc = r.body;
    file = join(tempDir('fleetrelay-openapi-'), 'openapi.json');
    writeFileSync(file, r.text);
  });
  after(() => relay.stop());

  const operations = (): [string, Operation][] =>
    Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([m]) => METHODS.includes(m)).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op] as [string, Operation]));

  it('passes `redocly lint` with the recommended rules: no errors, no warnings', () => {
    assert.ok(existsSync(REDOCLY), `no redocly at ${REDOCLY}: run npm ci (it is a devDependency) or set REDOCLY_BIN`);
    const run = spawnSync(REDOCLY, ['lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', '--max-problems', '1000', file], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    });
    assert.ok(run.stdout.trim().startsWith('{'), `redocly gave no report (exit ${run.status}): ${run.stderr}`);
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    const problems = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    assert.deepEqual(problems, [], `redocly lint: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
    assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
    assert.equal(run.status, 0);
  });

  it('names every operation with a unique, readable operationId', () => {
    const ids = operations().map(([, op]) => op.operationId);
    assert.ok(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]{2,60}$/.test(id)), `bad or missing: ${operations().filter(([, op]) => !op.operationId).map(([k]) => k).join(', ')}`);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    const id = (key: string) => operations().find(([k]) => k === key)?.[1].operationId;
    assert.equal(id('GET /api/v1/devices'), 'listDevices');
    assert.equal(id('GET /api/v1/devices/{id}'), 'getDevice');
    assert.equal(id('POST /api/v1/devices/{id}/get'), 'pushGet');
    assert.equal(id('GET /api/v1/printers'), 'listPrinters');
  });

  it('documents every route of the README, GET /api/v1/printers among them', () => {
    const documented = new Set(operations().map(([k]) => k));
    const routes = readmeRoutes(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.ok(routes.length > 50, `the README table was read: ${routes.length} routes`);
    assert.ok(routes.includes('POST /api/v1/firmware/{model}/{version}/rollout') && routes.includes('GET /device/v1/jobs/{id}/document'));
    assert.deepEqual(routes.filter((r) => !documented.has(r)), [], 'README routes missing from the OpenAPI document');
    assert.ok(documented.has('GET /api/v1/printers'));
  });

  it('says who may call what: anonymous registration, device tokens, servers, the multipart upload', async () => {
    assert.ok(doc.servers?.length, 'servers');
    const op = (key: string): Operation => operations().find(([k]) => k === key)![1];
    for (const key of ['POST /device/v1/register', 'GET /device/v1/register/{pollToken}', 'GET /healthz']) assert.deepEqual(op(key).security, [], `${key} is anonymous`);
    assert.deepEqual(op('GET /device/v1/self').security, [{ deviceToken: [] }]);
    const upload = op('POST /api/v1/printers/{id}/jobs').requestBody;
    assert.ok(upload?.content['multipart/form-data'], 'the job upload is a multipart request body');
    // The anonymous registration really is anonymous.
    const reg = await api(relay.url, '/device/v1/register', { method: 'POST', json: { serial: 'OAS-1', model: 'M' } });
    assert.equal(reg.status, 201, reg.text);
    assert.equal((await api(relay.url, '/api/v1/printers', { token: adminToken(relay.dataDir) })).status, 200);
  });
});
