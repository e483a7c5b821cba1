import type { FastifyRequest } from 'fastify';
import { invalid } from '../services/kernel/errors.js';

/**
 * Whether a parsed body, query or path holds a NUL character anywhere (bounded depth: bodies are
 * small and parsed). Only JSON-like values are walked: a body a route takes as bytes or as a
 * stream (a firmware program, an IPP request) is not text, and walking its object graph would
 * run through every byte, or round a socket's references for ever.
 */
export function holdsNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (depth > 32 || v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return false;
  for (const [k, x] of Object.entries(v)) if (k.includes('\u0000') || holdsNul(x, depth + 1)) return true;
  return false;
}

/**
 * NUL is not text: nothing a person or a device sends needs it, and PostgreSQL cannot store it
 * in a text column. Refused on every route before validation, so both stores behave alike; the
 * error goes to the route's own error handler (problem+json, or the seed's CGI text form).
 */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  if (holdsNul(request.body) || holdsNul(request.query) || holdsNul(request.params)) throw invalid('text may not contain NUL characters');
}
