import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError } from '../store/store.js';
import { PROBLEMS, ServiceError, type ProblemName } from '../services/kernel/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Sends an RFC 9457 problem document whose type is /problems/<name>. */
export function sendProblem(
  reply: FastifyReply,
  name: ProblemName,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const { status, title } = PROBLEMS[name];
  if (typeof extra.retryAfter === 'number') reply.header('retry-after', String(extra.retryAfter));
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ type: `/problems/${name}`, title, status, detail, instance: reply.request.url.split('?')[0], ...extra });
}

/** Maps what went wrong (service, store, parser, validator) to one problem document. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ServiceError) return sendProblem(reply, err.problem, err.message, err.extra);
    if (err instanceof ConflictError) return sendProblem(reply, 'conflict', err.message);
    if (err.validation) return sendProblem(reply, 'validation-failed', err.message);
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, 'payload-too-large', 'the request body is larger than this endpoint accepts');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 'unsupported-media-type', `content type ${request.headers['content-type'] ?? '(none)'} is not accepted here`);
    }
    if (err.statusCode === 400 || err instanceof SyntaxError)
      return sendProblem(reply, 'malformed-request', `the request could not be parsed: ${err.message}`);
    if (err.statusCode === 413) return sendProblem(reply, 'payload-too-large', err.message);
    if (err.statusCode === 415) return sendProblem(reply, 'unsupported-media-type', err.message);
    request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 'internal', 'an internal error occurred; it has been logged');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 'not-found', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
