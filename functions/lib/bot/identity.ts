import { createHmac, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors';

/** Shorter salts can be guessed, and with the salt every contributor code can be reversed. */
export const MIN_SALT_BYTES = 32;

/** Refuses a contributor salt that is unset or too short to keep the codes unreversible. */
export function assertContributorSalt(salt: string): void {
  if (Buffer.byteLength(salt, 'utf8') < MIN_SALT_BYTES) {
    throw new ConfigurationError(
      `The contributor salt is ${Buffer.byteLength(salt, 'utf8')} bytes; it needs at least ${MIN_SALT_BYTES}. ` +
        'Set a random one once, before the first contribution: `aws ssm put-parameter --type SecureString --overwrite ' +
        '--name /<name_prefix>/telegram/contributor-salt --value "$(openssl rand -base64 48)"`.',
    );
  }
}

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
