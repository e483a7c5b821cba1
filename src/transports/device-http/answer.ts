import { isOid, isSmiType, isSnmpError, MAX_OBJECTS, valueProblem, type PushAnswer, type ResultObject } from '../../domain/push.js';
import { invalid } from '../../services/kernel/errors.js';

export interface AnswerJson {
  requestId: string;
  objects?: { oid: string; type?: string; value?: string | number; error?: string }[];
  error?: { condition: string; text?: string };
}

/** A device's session-less answer (seed 000 S265) as the relay's PushAnswer. */
export function jsonToAnswer(body: AnswerJson): PushAnswer {
  if (body.error) return { error: { condition: body.error.condition, ...(body.error.text ? { text: body.error.text } : {}) } };
  if (!body.objects) throw invalid('an answer carries objects or an error');
  if (body.objects.length > MAX_OBJECTS) throw invalid(`at most ${MAX_OBJECTS} objects`);
  const objects: ResultObject[] = body.objects.map((o) => {
    if (!isOid(o.oid)) throw invalid(`not an OID: ${String(o.oid).slice(0, 64)}`);
    if (o.error !== undefined) {
      if (!isSnmpError(o.error)) throw invalid(`${o.oid}: unknown error ${o.error.slice(0, 32)}`);
      return { oid: o.oid, error: o.error };
    }
    if (!o.type || !isSmiType(o.type)) throw invalid(`${o.oid}: unknown type ${String(o.type).slice(0, 32)}`);
    const value = String(o.value ?? '');
    const problem = valueProblem(o.type, value);
    if (problem) throw invalid(`${o.oid}: ${problem}`);
    return { oid: o.oid, type: o.type, value };
  });
  return { objects };
}
