/** "WHERE a = ? AND b = ?" from the conditions whose value is given (both adapters write `?` placeholders). */
export function where(conditions: [string, unknown][]): { clause: string; params: unknown[] } {
  const used = conditions.filter(([, v]) => v !== undefined);
  return { clause: used.length ? `WHERE ${used.map(([c]) => c).join(' AND ')}` : '', params: used.map(([, v]) => v) };
}
