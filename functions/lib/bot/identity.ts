import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * A contributor's public code: an HMAC of the Telegram user id under a secret salt, so
 * exports and S3 keys never reveal the id and cannot be reversed by trying ids.
 */
export function contributorHash(userId: string, salt: string): string {
  return createHmac('sha256', salt).update(`telegram:${userId}`).digest('hex').slice(0, 20);
}

/** The same file from the same person always maps to the same recording. */
export function recordingIdFor(userId: string, fileUniqueId: string): string {
  return createHash('sha256').update(`${userId}\n${fileUniqueId}`).digest('hex').slice(0, 24);
}

export const contributionKey = (hash: string, recordingId: string, extension: string) =>
  `contributions/${hash}/${recordingId}.${extension}`;

/** Short random token that ties buttons to the prompt they were sent with. */
export const newToken = () => randomBytes(6).toString('base64url');
