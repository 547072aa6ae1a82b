/**
 * Who may see a job. Rows record their owner (the uploader's Cognito `sub`, or the bot for
 * its contributions); a caller reads only what they own, and the `admins` group reads all.
 * Routes that act on a job (results, and later caption edits) ask `canRead` / `requireReadable`
 * here, so the rule lives in one place.
 */

/** The Cognito group whose members see every job, the bot's contributions included. */
export const ADMINS_GROUP = 'admins';

/** The owner recorded on jobs made from the Telegram bot's contributions (contributions/…). */
export const BOT_OWNER = 'telegram-bot';

/** S3 user metadata (x-amz-meta-owner) that carries the uploader into start-pipeline. */
export const OWNER_METADATA_KEY = 'owner';

/** A Cognito sub (a UUID) or the local operator's id: nothing that could smuggle a path or a group. */
export const OWNER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The authenticated caller of the API. */
export interface Caller {
  /** Cognito `sub` (or the local operator's id). */
  subject: string;
  /** Cognito groups (`cognito:groups`). */
  groups: readonly string[];
  via: 'jwt' | 'local-token';
}

/** Anything that has an owner: a job row, and later an edit of its captions. */
export interface Owned {
  owner?: string;
}

export const isAdmin = (caller: Caller): boolean => caller.groups.includes(ADMINS_GROUP);

/** Owners read their own; admins read everything; a job without an owner is for admins only. */
export function canRead(caller: Caller, resource: Owned): boolean {
  return isAdmin(caller) || (resource.owner !== undefined && resource.owner === caller.subject);
}

/** The owner a new upload records, checked so metadata can never carry anything else. */
export function ownerOfUpload(caller: Caller): string {
  if (!OWNER_PATTERN.test(caller.subject)) {
    throw new Error(`The caller id ${JSON.stringify(caller.subject)} cannot own a job`);
  }
  return caller.subject;
}

/**
 * The owner a job gets from its upload: contributions belong to the bot; uploads to whoever
 * the upload's owner metadata names (the API pins it in the presigned POST policy); anything
 * else (an operator's `aws s3 cp`) has no owner and is seen by admins only.
 */
export function ownerOfSource(kind: 'upload' | 'contribution', metadataOwner: string | undefined): string | undefined {
  if (kind === 'contribution') return BOT_OWNER;
  const owner = metadataOwner?.trim();
  return owner && OWNER_PATTERN.test(owner) && owner !== BOT_OWNER ? owner : undefined;
}
