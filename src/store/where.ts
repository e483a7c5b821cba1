/**
 * "WHERE a = ? AND b = ?" from the conditions whose value is given (both adapters write `?`
 * placeholders). A condition with several placeholders takes an array of as many values.
 */
export function where(conditions: [string, unknown][]): { clause: string; params: unknown[] } {
  const used = conditions.filter(([, v]) => v !== undefined);
  const params = used.flatMap(([c, v]) => (c.split('?').length > 2 ? (v as unknown[]) : [v]));
  return { clause: used.length ? `WHERE ${used.map(([c]) => c).join(' AND ')}` : '', params };
}
