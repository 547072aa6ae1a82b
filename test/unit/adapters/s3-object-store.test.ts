import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '../../../functions/lib/adapters/s3-object-store';

const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({}));
const ref = { bucket: 'gorggle-processed', key: 'jobs/j1/result.json' };
const awsError = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });
const body = (text: string) => Readable.from([Buffer.from(text)]);

let scratch: string;
beforeEach(() => {
  s3.reset();
  scratch = mkdtempSync(path.join(tmpdir(), 's3-store-test-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('S3ObjectStore', () => {
  it('heads an object with its etag unquoted and its user metadata', async () => {
    // Prepare
    s3.on(HeadObjectCommand, { Bucket: ref.bucket, Key: ref.key }).resolves({
      ContentLength: 1234,
      ETag: '"d41d8cd98f00b204e9800998ecf8427e"',
      VersionId: 'v1',
      ContentType: 'video/mp4',
      Metadata: { reference: 'bin blue at f two now' },
    });

    // Act
    const head = await store.head(ref);

    // Assess
    expect(head).toEqual({
      size: 1234,
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      versionId: 'v1',
      contentType: 'video/mp4',
      metadata: { reference: 'bin blue at f two now' },
    });
  });

  it('heads a missing object as undefined', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(awsError('NotFound'));

    // Act
    const head = await store.head(ref);

    // Assess
    expect(head).toBeUndefined();
  });

  it('does not hide other head errors as "missing"', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(awsError('AccessDenied'));

    // Act
    const result = store.head(ref);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('reads text, and turns a missing key into SourceObjectMissingError that says what to do', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Key: ref.key }).callsFake(() => ({ Body: body('{"version":"1.0"}') }));
    s3.on(GetObjectCommand, { Key: 'jobs/j1/gone.json' }).rejects(awsError('NoSuchKey'));

    // Act
    const text = await store.getText(ref);
    const missing = store.getText({ ...ref, key: 'jobs/j1/gone.json' });

    // Assess
    expect(text).toBe('{"version":"1.0"}');
    await expect(missing).rejects.toMatchObject({
      name: 'SourceObjectMissingError',
      message:
        'gone.json is no longer stored (s3://gorggle-processed/jobs/j1/gone.json was deleted or has expired). Upload the file again.',
    });
  });

  it('downloads to a file and uploads a file with its length and type', async () => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body('video bytes') }));
    let uploadedText = '';
    s3.on(PutObjectCommand).callsFake(async (input: { Body: Readable }) => {
      for await (const chunk of input.Body) uploadedText += String(chunk);
      return {};
    });
    const downloaded = path.join(scratch, 'in.bin');
    const toUpload = path.join(scratch, 'out.bin');
    writeFileSync(toUpload, 'twelve bytes');

    // Act
    await store.download(ref, downloaded);
    await store.uploadFile({ bucket: 'b', key: 'k.mp4' }, toUpload, 'video/mp4');

    // Assess
    expect(readFileSync(downloaded, 'utf8')).toBe('video bytes');
    expect(uploadedText).toBe('twelve bytes');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'b',
      Key: 'k.mp4',
      ContentLength: 12,
      ContentType: 'video/mp4',
    });
  });

  it('reads the version a job was made from, and heads it too', async () => {
    // Prepare: the key now holds a newer upload; the job's version is still there.
    s3.on(GetObjectCommand).callsFake((input: { VersionId?: string }) => ({ Body: body(input.VersionId ?? 'latest') }));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 5, ETag: '"e"', VersionId: 'v-1' });
    const downloaded = path.join(scratch, 'in.bin');

    // Act
    await store.download({ bucket: 'uploads', key: 'uploads/a.mp4', versionId: 'v-1' }, downloaded);
    const head = await store.head({ bucket: 'uploads', key: 'uploads/a.mp4', versionId: 'v-1' });

    // Assess
    expect(readFileSync(downloaded, 'utf8')).toBe('v-1');
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Key: 'uploads/a.mp4', VersionId: 'v-1' });
    expect(head?.versionId).toBe('v-1');
  });

  it.each(['NoSuchVersion', 'MethodNotAllowed'])(
    'takes %s (a version that is gone or a delete marker) as missing',
    async (name) => {
      // Prepare
      s3.on(HeadObjectCommand).rejects(awsError(name));

      // Act
      const head = await store.head({ bucket: 'uploads', key: 'uploads/a.mp4', versionId: 'v-1' });

      // Assess
      expect(head).toBeUndefined();
    },
  );
});
