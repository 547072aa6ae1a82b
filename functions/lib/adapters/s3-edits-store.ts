import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { editsDocumentSchema, type EditsDocument } from '../contracts/documents';
import { EDITS_KEY_PATTERN, editsKey, type EditVersionInfo, type EditsStore } from '../edits/caption-edits';

const isNotFound = (error: unknown) => error instanceof Error && ['NoSuchKey', 'NotFound'].includes(error.name);

/**
 * S3 answers a conditional write that lost with 412 PreconditionFailed (the key exists), or
 * with 409 ConditionalRequestConflict while a competing write to the same key is in flight.
 */
const lostTheRace = (error: unknown) =>
  error instanceof Error &&
  (['PreconditionFailed', 'ConditionalRequestConflict'].includes(error.name) ||
    [409, 412].includes((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0));

/**
 * Edits versions as objects beside the result. A new version is written with
 * `If-None-Match: *`, so S3 itself refuses a second write of the same version number.
 */
export class S3EditsStore implements EditsStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async versions(jobId: string): Promise<EditVersionInfo[]> {
    const found: EditVersionInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `jobs/${jobId}/edits/`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const match = EDITS_KEY_PATTERN.exec(object.Key ?? '');
        if (match?.[1]) {
          found.push({ version: Number(match[1]), savedAt: (object.LastModified ?? new Date(0)).toISOString() });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => a.version - b.version);
  }

  async read(jobId: string, version: number): Promise<EditsDocument | undefined> {
    // Listed first: a GET of a missing key answers 403 to a role that may list only a prefix.
    if (!(await this.versions(jobId)).some((info) => info.version === version)) return undefined;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: editsKey(jobId, version) }));
      const text = (await object.Body?.transformToString('utf8')) ?? '';
      return editsDocumentSchema.parse(JSON.parse(text));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createIfAbsent(document: EditsDocument): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: editsKey(document.jobId, document.number),
          Body: `${JSON.stringify(document, null, 2)}\n`,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (error) {
      if (lostTheRace(error)) return false;
      throw error;
    }
  }
}
