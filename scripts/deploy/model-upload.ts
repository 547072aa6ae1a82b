/**
 * `make model-upload MODEL_DIR=<folder>`: puts an exported lip-reading model package where the
 * GPU server looks for it (the avhubert_model_s3_uri output, or MODEL_S3_URI).
 *
 * The package is checked first with the server's own reader (manifest.json against the
 * contract, every file it names present). manifest.json goes up last, so the server, and
 * invoke-lipreading's "is there a model" check, never see a half-uploaded package; files of
 * an earlier package that this one lacks are removed afterwards.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { readManifest } from '../../ec2-avhubert/src/model/package';
import { realStackTools, runMain } from './stack-tools';

export class ModelUploadError extends Error {
  override readonly name = 'ModelUploadError';
}

export interface ModelDestination {
  bucket: string;
  /** Key prefix ending in '/'. */
  prefix: string;
}

export function parseS3Folder(uri: string): ModelDestination {
  const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.+\/)$/.exec(uri.trim()) ?? [];
  if (!bucket || !prefix)
    throw new ModelUploadError(`${uri} is not an S3 folder such as s3://bucket/models/avhubert/.`);
  return { bucket, prefix };
}

/** The package's files, manifest.json last; throws with the reason when it is not a package. */
export function packageFiles(dir: string): string[] {
  if (!dir)
    throw new ModelUploadError(
      'Name the model package folder: make model-upload MODEL_DIR=<folder with manifest.json>',
    );
  let manifest: ReturnType<typeof readManifest>;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    throw new ModelUploadError(`${dir} is not a model package: ${(error as Error).message}`);
  }
  const named = Object.values(manifest.files);
  const missing = named.filter((file) => !statSync(path.join(dir, file), { throwIfNoEntry: false })?.isFile());
  if (missing.length) {
    throw new ModelUploadError(`${dir}/manifest.json names ${missing.join(', ')}, which the folder does not hold.`);
  }
  const files = readdirSync(dir).filter(
    (file) => !file.startsWith('.') && file !== 'manifest.json' && statSync(path.join(dir, file)).isFile(),
  );
  return [...files.sort(), 'manifest.json'];
}

export interface UploadReport {
  uploaded: string[];
  removed: string[];
}

export async function uploadModelPackage(
  s3: S3Client,
  dir: string,
  destination: ModelDestination,
  print: (line: string) => void = () => undefined,
): Promise<UploadReport> {
  const files = packageFiles(dir);
  for (const file of files) {
    const size = statSync(path.join(dir, file)).size;
    print(`  ${file} (${(size / 2 ** 20).toFixed(1)} MiB) -> s3://${destination.bucket}/${destination.prefix}${file}`);
    await new Upload({
      client: s3,
      params: {
        Bucket: destination.bucket,
        Key: `${destination.prefix}${file}`,
        Body: createReadStream(path.join(dir, file)),
      },
    }).done();
  }
  const { Contents = [] } = await s3.send(
    new ListObjectsV2Command({ Bucket: destination.bucket, Prefix: destination.prefix }),
  );
  const stale = Contents.flatMap((object) =>
    object.Key && !files.includes(object.Key.slice(destination.prefix.length)) ? [object.Key] : [],
  );
  if (stale.length) {
    await s3.send(
      new DeleteObjectsCommand({ Bucket: destination.bucket, Delete: { Objects: stale.map((Key) => ({ Key })) } }),
    );
  }
  return { uploaded: files, removed: stale };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMain(async () => {
    const dir = path.resolve(process.argv[2] ?? process.env.MODEL_DIR ?? '');
    packageFiles(dir); // fail on a bad package before asking Terraform anything
    let uri = process.env.MODEL_S3_URI;
    let region = process.env.AWS_REGION;
    if (!uri) {
      const tools = realStackTools();
      const outputs = JSON.parse(await tools.terraform(['output', '-json'], { capture: true })) as Record<
        string,
        { value: unknown }
      >;
      if (!outputs.avhubert_model_s3_uri) {
        throw new ModelUploadError(
          'No deployed stack found from this checkout: run make deploy first, or set MODEL_S3_URI.',
        );
      }
      uri = String(outputs.avhubert_model_s3_uri.value);
      region = String(outputs.region?.value ?? region);
    }
    const destination = parseS3Folder(uri);
    console.log(`Uploading the model package ${dir}:`);
    const report = await uploadModelPackage(
      new S3Client({ region, followRegionRedirects: true }),
      dir,
      destination,
      (line) => console.log(line),
    );
    console.log(
      `Done: ${report.uploaded.length} files${report.removed.length ? `, removed ${report.removed.join(', ')}` : ''}. ` +
        'A GPU instance launched from now on loads it; one already running keeps its model until it is stopped.',
    );
  }, 'make model-upload');
}
