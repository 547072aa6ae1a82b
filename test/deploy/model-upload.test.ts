import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ModelUploadError, packageFiles, parseS3Folder, uploadModelPackage } from '../../scripts/deploy/model-upload';
import { startLocalS3 } from '../support/local-s3';
import { REPO_ROOT } from '../support/paths';

const TEST_MODEL = path.join(REPO_ROOT, 'ec2-avhubert', 'models', 'test-model');
const BUCKET = 'gorggle-artifacts-123456789012-eu-west-1';
const DESTINATION = { bucket: BUCKET, prefix: 'models/avhubert/' };

let s3: Awaited<ReturnType<typeof startLocalS3>>;
let scratch: string;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
});
afterAll(() => s3.stop());
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'gorggle-model-upload-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const keys = async () =>
  ((await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'models/avhubert/' }))).Contents ?? [])
    .map((object) => object.Key)
    .sort();

describe('make model-upload', () => {
  it('uploads the package where the server looks, manifest.json last, and removes what the new package lacks', async () => {
    // Prepare: an earlier package left a file this one does not have.
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'models/avhubert/old-weights.pt', Body: 'old' }));
    const lines: string[] = [];

    // Act
    const report = await uploadModelPackage(s3.client, TEST_MODEL, DESTINATION, (line) => lines.push(line));

    // Assess
    expect(report.uploaded).toEqual(['decoder_step.pt', 'encoder.pt', 'vocab.txt', 'manifest.json']);
    expect(report.removed).toEqual(['models/avhubert/old-weights.pt']);
    expect(await keys()).toEqual([
      'models/avhubert/decoder_step.pt',
      'models/avhubert/encoder.pt',
      'models/avhubert/manifest.json',
      'models/avhubert/vocab.txt',
    ]);
    const manifest = await s3.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'models/avhubert/manifest.json' }),
    );
    expect(JSON.parse(await manifest.Body!.transformToString())).toMatchObject({ output: 'seq2seq' });
    expect(lines.at(-1)).toMatch(
      /^ {2}manifest\.json .* -> s3:\/\/gorggle-artifacts-123456789012-eu-west-1\/models\/avhubert\/manifest\.json$/,
    );
  });

  it('refuses a folder that is not a model package, and says why, before uploading anything', async () => {
    // Prepare: a package whose manifest names an encoder that is not there.
    cpSync(TEST_MODEL, scratch, { recursive: true });
    rmSync(path.join(scratch, 'encoder.pt'));

    // Act
    const upload = uploadModelPackage(s3.client, scratch, { bucket: BUCKET, prefix: 'models/broken/' });

    // Assess
    await expect(upload).rejects.toThrow(ModelUploadError);
    await expect(upload).rejects.toThrow(/manifest.json names encoder\.pt, which the folder does not hold/);
    expect(await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'models/broken/' }))).toMatchObject({
      KeyCount: 0,
    });
  });

  it('refuses a manifest that breaks the package contract', () => {
    // Prepare
    writeFileSync(path.join(scratch, 'manifest.json'), JSON.stringify({ formatVersion: 1, output: 'rnnt' }));

    // Act
    const check = () => packageFiles(scratch);

    // Assess
    expect(check).toThrow(/declares output "rnnt"/);
  });

  it('asks for MODEL_DIR when none is given', () => {
    expect(() => packageFiles('')).toThrow('make model-upload MODEL_DIR=<folder with manifest.json>');
  });

  it('takes the destination as the S3 folder Terraform outputs', () => {
    expect(parseS3Folder('s3://b-1/models/avhubert/')).toEqual({ bucket: 'b-1', prefix: 'models/avhubert/' });
    expect(() => parseS3Folder('s3://b-1/models/avhubert')).toThrow(ModelUploadError);
  });
});
