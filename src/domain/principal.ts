/**
 * Who is asking. Site admins see every account; account operators see only theirs.
 * Objects of another account are reported as absent (404), never as forbidden.
 */
export type Principal =
  | { kind: 'token'; tokenId: string; accountId: string | null; admin: boolean }
  | { kind: 'user'; userId: string; name: string; accountId: string; admin: boolean }
  | { kind: 'cli' }
  /** The relay acting on its own (its status poll). */
  | { kind: 'relay' };

export const RELAY: Principal = { kind: 'relay' };

export function isAdmin(p: Principal): boolean {
  return p.kind === 'cli' || p.kind === 'relay' || p.admin;
}

export function canSeeAccount(p: Principal, accountId: string): boolean {
  return isAdmin(p) || ('accountId' in p && p.accountId === accountId);
}

/** The account a listing is limited to: an operator's own, or an admin's chosen filter (undefined = all). */
export function accountScope(p: Principal, requested?: string): string | undefined {
  if (isAdmin(p) || !('accountId' in p)) return requested;
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
    case 'relay':
      return 'relay';
  }
}
