/** Who is calling: a signed-in user, or an API key acting for its owner. */
export interface UserPrincipal {
  type: 'user';
  id: string;
  email: string;
  name: string;
  roles: string[];
  /** Effective permissions (roles expanded, direct grants added). */
  permissions: string[];
}

export interface KeyPrincipal {
  type: 'key';
  id: string;
  name: string;
  ownerId: string;
  /** The key's permissions intersected with its owner's current ones. */
  permissions: string[];
}

export type Principal = UserPrincipal | KeyPrincipal;

/** The user on whose behalf the caller acts: the user itself, or a key's owner. */
export function actingUserId(principal: Principal): string {
  return principal.type === 'user' ? principal.id : principal.ownerId;
}
