import { isAdmin, type Principal } from '../../domain/principal.js';
import type { Code } from '../../domain/reports.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const TEXT = /^[^\x00-\x1f\x7f]{1,200}$/u;
export const ERROR_KINDS = ['consumable-low', 'part-replacement', 'abnormal'] as const;

/**
 * The code tables reports are read with (seed 004 error content table and order content
 * table, plus Printer MIB alert codes), namespaced and editable by site admins.
 */
export class CodeService {
  constructor(private readonly ctx: ServiceContext) {}

  list(namespace?: string): Promise<Code[]> {
    return this.ctx.store.codes.list(namespace);
  }

  async put(p: Principal, c: { namespace: string; code: string; kind?: string | null; description: string; reply?: string }): Promise<Code> {
    if (!isAdmin(p)) throw new ServiceError('forbidden', 'only a site admin edits code tables');
    if (!NAME.test(c.namespace)) throw invalid('a namespace is 1–32 letters, digits, dots, underscores or hyphens');
    if (!NAME.test(c.code)) throw invalid('a code is 1–32 letters, digits, dots, underscores or hyphens');
    if (!TEXT.test(c.description)) throw invalid('a description is 1–200 characters without control characters');
    if (c.reply !== undefined && !TEXT.test(c.reply)) throw invalid('a reply is 1–200 characters without control characters');
    if (c.kind != null && !(ERROR_KINDS as readonly string[]).includes(c.kind)) throw invalid(`kind is one of ${ERROR_KINDS.join(', ')}`);
    const code: Code = { namespace: c.namespace, code: c.code, kind: c.kind ?? null, description: c.description, reply: c.reply ?? c.description };
    await this.ctx.store.codes.put(code);
    await audit(this.ctx, p, 'code.set', `${code.namespace}:${code.code}`, null, { ...code });
    return code;
  }

  async remove(p: Principal, namespace: string, code: string): Promise<void> {
    if (!isAdmin(p)) throw new ServiceError('forbidden', 'only a site admin edits code tables');
    if (!(await this.ctx.store.codes.remove(namespace, code))) throw notFound(`code ${namespace}:${code}`);
    await audit(this.ctx, p, 'code.remove', `${namespace}:${code}`, null);
  }
}
