/**
 * Who is asking. Site admins see every account; account operators see only theirs.
 * Objects of another account are reported as absent (404), never as forbidden.
 */
export type Principal =
  | { kind: 'token'; tokenId: string; accountId: string | null; admin: boolean }
  | { kind: 'user'; userId: string; name: string; accountId: string; admin: boolean }
  | { kind: 'cli' };

export function isAdmin(p: Principal): boolean {
  return p.kind === 'cli' || p.admin;
}

export function canSeeAccount(p: Principal, accountId: string): boolean {
  return isAdmin(p) || (p.kind !== 'cli' && p.accountId === accountId);
}

/** The account a listing is limited to: an operator's own, or an admin's chosen filter (undefined = all). */
export function accountScope(p: Principal, requested?: string): string | undefined {
  if (isAdmin(p) || p.kind === 'cli') return requested;
  return p.accountId ?? undefined;
}

/** How the audit log names an actor. */
export function actorName(p: Principal): string {
  switch (p.kind) {
    case 'token':
      return `token:${p.tokenId}`;
    case 'user':
      return `user:${p.name}`;
    case 'cli':
      return 'cli';
  }
}
