/**
 * "WHERE a = ? AND b = ?" from the conditions whose value is given (both adapters write `?`
 * placeholders). A condition with several placeholders takes an array of as many values; one
 * without any applies when its value is given (true) and takes none.
 */
export function where(conditions: [string, unknown][]): { clause: string; params: unknown[] } {
  const used = conditions.filter(([, v]) => v !== undefined);
  const params = used.flatMap(([c, v]) => {
    const placeholders = c.split('?').length - 1;
    return placeholders === 0 ? [] : placeholders > 1 ? (v as unknown[]) : [v];
  });
  return { clause: used.length ? `WHERE ${used.map(([c]) => c).join(' AND ')}` : '', params };
}
