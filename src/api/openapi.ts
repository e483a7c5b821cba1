/**
 * The OpenAPI document's frame: servers, security schemes, and what the routes cannot say
 * themselves — the BOSH endpoint (served below the framework), and request bodies that the
 * framework must not validate (a streamed multipart upload, a raw program).
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { SESSION_COOKIE } from '../http/auth.js';
import { PROBLEMS } from '../services/kernel/errors.js';

type Operation = Record<string, unknown> & { operationId?: string };
type PathItem = Record<string, Operation>;
interface Document {
  paths?: Record<string, PathItem>;
  [key: string]: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const xml = (description: string) => ({ description, content: { 'text/xml': { schema: { type: 'string' } } } });

/** POST /http-bind goes straight to the BOSH manager (see app.ts), so no route describes it. */
const httpBind: PathItem = {
  post: {
    tags: ['device'],
    operationId: 'boshRequest',
    summary: 'XMPP over BOSH (XEP-0124/0206): a device opens, holds and polls its session here; it authenticates inside the stream (SASL)',
    security: [],
    requestBody: { required: true, content: { 'text/xml': { schema: { type: 'string', description: 'one <body/> element' } } } },
    responses: {
      200: xml('a <body/> with the stanzas for the device, or type="terminate" with a condition'),
      400: xml('not a BOSH body'),
      404: xml('no such session'),
    },
  },
};

/** Request bodies documented here rather than in the route schema, because the route reads them itself. */
const requestBodies: Record<string, Record<string, unknown>> = {
  'post /api/v1/printers/{id}/jobs': {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          properties: {
            ticket: { type: 'string', description: 'optional, before the document: a JSON object of IPP job attributes (copies, media, sides, print-color-mode, …)' },
            document: { type: 'string', format: 'binary', description: 'the file to print (PDF, JPEG, PNG, PWG raster, …)' },
          },
          required: ['document'],
        },
        encoding: { ticket: { contentType: 'application/json' } },
      },
    },
  },
  'put /api/v1/firmware/{model}/{version}': {
    required: true,
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary', description: 'the program, signed by the vendor (X-Firmware-Signature)' } } },
  },
};

/** Adds what the routes cannot say; gives each method of a many-method route its own operationId (cgiCheckUpdateGet, …). */
export function completeDocument(doc: Document): Document {
  const paths: Record<string, PathItem> = { ...doc.paths, '/http-bind': httpBind };
  for (const [path, item] of Object.entries(paths)) {
    const methods = Object.keys(item).filter((m) => METHODS.includes(m));
    const next: PathItem = { ...item };
    for (const m of methods) {
      const op = { ...item[m]! };
      const body = requestBodies[`${m} ${path}`];
      if (body && !op.requestBody) op.requestBody = body;
      const shared = methods.filter((x) => item[x]!.operationId === op.operationId);
      if (op.operationId && shared.length > 1) op.operationId = `${op.operationId}${m[0]!.toUpperCase()}${m.slice(1)}`;
      next[m] = op;
    }
    paths[path] = next;
  }
  return { ...doc, paths };
}

export function openapiOptions(o: { version: string; publicUrl?: string }): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FleetRelay API',
        version: o.version,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Northbound REST API (bearer API token, or a signed-in session whose unsafe requests carry X-CSRF-Token) and device endpoints (device token, or anonymous registration). ' +
          'Errors are RFC 9457 problem+json documents whose type is one of: ' +
          Object.keys(PROBLEMS).map((n) => `/problems/${n}`).join(', '),
      },
      servers: [{ url: o.publicUrl ?? '/', description: o.publicUrl ? 'this relay' : 'this relay (the address the document was fetched from)' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (fra_…)' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'a signed-in web session; unsafe methods also need the X-CSRF-Token header' },
          deviceToken: { type: 'http', scheme: 'bearer', description: "the device's own token (frd_…)" },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Paths are absolute: the server URL is the relay's root.
    stripBasePath: false,
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (d) => completeDocument((d as { openapiObject: Document }).openapiObject) as ReturnType<NonNullable<FastifyDynamicSwaggerOptions['transformObject']>>,
  };
}
