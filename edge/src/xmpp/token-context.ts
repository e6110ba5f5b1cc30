/**
 * What a login established about its holder beyond the JID: a verified token's claims. Its own
 * module so that the authenticator seam and the JWT authenticator both depend on it, not on each other.
 * @module
 */
// Internal: not exported from the package entry.

/** What a verified token says about its holder, kept with the session. */
export interface TokenContext {
  /** Room the token is for (`*`: any). */
  readonly room: string;
  readonly moderator: boolean;
  readonly user: { readonly id?: string; readonly name?: string; readonly email?: string; readonly avatar?: string };
}
