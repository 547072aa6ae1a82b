import { createHmac, randomBytes } from 'node:crypto';

/**
 * A contributor's public code: an HMAC of the Telegram user id under a secret salt, so
 * exports and S3 keys never reveal the id and cannot be reversed by trying ids.
 */
export function contributorHash(userId: string, salt: string): string {
  return createHmac('sha256', salt).update(`telegram:${userId}`).digest('hex').slice(0, 20);
}

/**
 * The same file from the same person always maps to the same recording. Keyed with the
 * salt: file_unique_id is the same for every bot, so a plain hash could be recomputed by
 * anyone who sees the file.
 */
export function recordingIdFor(userId: string, fileUniqueId: string, salt: string): string {
  return createHmac('sha256', salt).update(`recording:${userId}\n${fileUniqueId}`).digest('hex').slice(0, 24);
}

export const contributorPrefix = (hash: string) => `contributions/${hash}/`;

export const contributionKey = (hash: string, recordingId: string, extension: string) =>
  `${contributorPrefix(hash)}${recordingId}.${extension}`;

/** Short random token that ties buttons to the prompt they were sent with. */
export const newToken = () => randomBytes(6).toString('base64url');
