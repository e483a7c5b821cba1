/**
 * The problems a caller can be told about. The API turns them into RFC 9457 problem+json with
 * `type: /problems/<name>`; the CLI into a message and exit code. Listed in the OpenAPI document.
 */
export const PROBLEMS = {
  'malformed-request': { status: 400, title: 'The request could not be parsed' },
  'validation-failed': { status: 400, title: 'The request is not valid' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  gone: { status: 410, title: 'Gone' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'wrong-pin': { status: 422, title: 'The PIN does not match' },
  'unknown-code': { status: 422, title: 'The code is not in the code tables' },
  'not-accepting-jobs': { status: 409, title: 'The printer is not accepting jobs' },
  'range-not-satisfiable': { status: 416, title: 'Range not satisfiable' },
  'device-error': { status: 422, title: 'The device refused the request' },
  'device-offline': { status: 409, title: 'The device is offline' },
  'device-busy': { status: 503, title: 'Too many requests are waiting for the device' },
  'device-timeout': { status: 504, title: 'The device did not answer in time' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemName = keyof typeof PROBLEMS;

export class ServiceError extends Error {
  constructor(
    readonly problem: ProblemName,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const notFound = (what: string): ServiceError => new ServiceError('not-found', `${what} not found`);
export const invalid = (message: string): ServiceError => new ServiceError('validation-failed', message);
