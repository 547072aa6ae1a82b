import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { OWNER_METADATA_KEY } from '../access/ownership';
import { formatBytes } from '../pipeline/start-pipeline';
import { ApiError } from './http';
import type { PostPolicyCondition, UploadSigner } from './ports';
import type { UploadResponse } from './views';
import { CONTENT_TYPE_BY_EXTENSION, extensionOf } from './media-types';

/** What browsers report for the same files; each maps to its stored type in media-types.ts. */
const CONTENT_TYPE_ALIASES: Readonly<Record<string, string>> = {
  'video/avi': 'video/x-msvideo',
  'video/msvideo': 'video/x-msvideo',
  'video/mkv': 'video/x-matroska',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mpeg': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'audio/opus': 'audio/ogg',
};

/** S3 refuses presigned URLs that live longer than this is useful for; 15 minutes is the cap. */
export const MAX_UPLOAD_URL_SECONDS = 15 * 60;

export const uploadRequestSchema = z.object({
  fileName: z.string().trim().min(1, 'fileName is empty').max(255, 'fileName is longer than 255 characters'),
  /** The browser's File.type; may be empty, then the extension decides. */
  contentType: z.string().max(127).optional().default(''),
  size: z.number().int('size must be a whole number of bytes').positive('size must be more than 0 bytes'),
});
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export interface UploadOptions {
  uploadsBucket: string;
  maxUploadBytes: number;
  /** Lower-case, without the dot. */
  allowedExtensions: readonly string[];
  expiresInSeconds: number;
  now: () => Date;
  newId?: () => string;
  /** The job's owner (ownership.ts ownerOfUpload), pinned in the policy as x-amz-meta-owner. */
  owner: string;
}

/**
 * A presigned POST for one upload to uploads/<uuid>/<sanitised name>. The policy pins the
 * key and the content type and bounds the size; the same checks run here first because the
 * local S3 does not enforce POST policies, and because a clear error beats S3's XML.
 */
export async function createUpload(
  request: UploadRequest,
  signer: UploadSigner,
  options: UploadOptions,
): Promise<UploadResponse> {
  const fileName = sanitiseFileName(request.fileName);
  const extension = extensionOf(fileName);
  if (!options.allowedExtensions.includes(extension) || !CONTENT_TYPE_BY_EXTENSION[extension]) {
    throw new ApiError(
      415,
      'UPLOAD_REJECTED',
      `"${request.fileName}" is not a video or audio type Gorggle takes. Upload a .${options.allowedExtensions.join(', .')} file.`,
    );
  }
  const contentType = CONTENT_TYPE_BY_EXTENSION[extension];
  const declared = (request.contentType.toLowerCase().split(';')[0] ?? '').trim();
  const normalised = CONTENT_TYPE_ALIASES[declared] ?? declared;
  if (declared && normalised !== contentType && normalised !== 'application/octet-stream') {
    throw new ApiError(
      415,
      'UPLOAD_REJECTED',
      `"${request.fileName}" says it is ${declared}, but a .${extension} file must be ${contentType}. ` +
        'Rename the file to match its format, or convert it to MP4.',
    );
  }
  if (request.size > options.maxUploadBytes) {
    throw new ApiError(
      413,
      'UPLOAD_REJECTED',
      `"${request.fileName}" is ${formatBytes(request.size)}, more than the ${formatBytes(options.maxUploadBytes)} ` +
        'limit. Trim or compress the video and upload it again.',
    );
  }

  const expiresInSeconds = Math.min(options.expiresInSeconds, MAX_UPLOAD_URL_SECONDS);
  const uploadId = (options.newId ?? randomUUID)();
  const key = `uploads/${uploadId}/${fileName}`;
  const ownerField = `x-amz-meta-${OWNER_METADATA_KEY}`;
  const conditions: PostPolicyCondition[] = [
    ['content-length-range', 1, options.maxUploadBytes],
    ['eq', '$Content-Type', contentType],
    // S3 refuses the post unless it carries exactly this owner: start-pipeline records it on the job.
    ['eq', `$${ownerField}`, options.owner],
  ];
  const { url, fields } = await signer.presignPost({
    target: { bucket: options.uploadsBucket, key },
    fields: { 'Content-Type': contentType, [ownerField]: options.owner },
    conditions,
    expiresInSeconds,
  });
  return {
    uploadId,
    key,
    url,
    fields,
    expiresAt: new Date(options.now().getTime() + expiresInSeconds * 1000).toISOString(),
    maxBytes: options.maxUploadBytes,
  };
}

const MAX_NAME_LENGTH = 120;

/**
 * A file name that is safe as the last segment of an S3 key and in a Content-Disposition:
 * no path, no control or markup characters, at most 120 characters, extension kept.
 */
export function sanitiseFileName(name: string): string {
  const base = name.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[^\p{L}\p{N}._() -]+/gu, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[\s._-]+|[\s_-]+$/g, '');
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? cleaned.slice(dot).toLowerCase() : '';
  const stem = (dot > 0 ? cleaned.slice(0, dot) : cleaned).replace(/[\s._-]+$/g, '') || 'video';
  return `${stem.slice(0, MAX_NAME_LENGTH - extension.length)}${extension}`;
}
