import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Ref } from '../../../functions/lib/contracts/common';
import type { StageRecord } from '../../../functions/lib/contracts/job';
import type { Stage } from '../../../functions/lib/contracts/pipeline';
import { SourceObjectMissingError } from '../../../functions/lib/errors';
import type { JobRepository, ObjectHead, ObjectStore } from '../../../functions/lib/ports';

/** An ObjectStore over a folder: s3://bucket/key lives at <root>/bucket/key. S3 is not under test here. */
export class DirectoryObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  pathOf(ref: S3Ref): string {
    return path.join(this.root, ref.bucket, ref.key);
  }

  async put(ref: S3Ref, sourceFile: string): Promise<void> {
    await mkdir(path.dirname(this.pathOf(ref)), { recursive: true });
    await copyFile(sourceFile, this.pathOf(ref));
  }

  async head(ref: S3Ref): Promise<ObjectHead | undefined> {
    const info = await stat(this.pathOf(ref)).catch(() => undefined);
    return info && { size: info.size, etag: String(info.mtimeMs), metadata: {} };
  }

  async download(ref: S3Ref, filePath: string): Promise<void> {
    if (!(await this.head(ref))) throw new SourceObjectMissingError(`s3://${ref.bucket}/${ref.key} does not exist`);
    await copyFile(this.pathOf(ref), filePath);
  }

  async uploadFile(ref: S3Ref, filePath: string): Promise<void> {
    await this.put(ref, filePath);
  }

  async putText(ref: S3Ref, body: string): Promise<void> {
    await mkdir(path.dirname(this.pathOf(ref)), { recursive: true });
    await writeFile(this.pathOf(ref), body);
  }

  async getText(ref: S3Ref): Promise<string> {
    return readFile(this.pathOf(ref), 'utf8');
  }

  async getStream(ref: S3Ref): Promise<Readable> {
    return createReadStream(this.pathOf(ref));
  }
}

/** Keeps every stage update, in order, so tests can read the job's history. */
export class StageRecordingJobs implements JobRepository {
  readonly stageUpdates: Array<{ jobId: string; stage: Stage; record: StageRecord }> = [];

  async updateStage(jobId: string, stage: Stage, record: StageRecord): Promise<void> {
    this.stageUpdates.push({ jobId, stage, record });
  }

  async setExecution(): Promise<void> {
    throw new Error('extract never sets executions');
  }
  async finish(): Promise<void> {
    throw new Error('extract never finishes jobs');
  }
  async fail(): Promise<boolean> {
    throw new Error('extract never fails jobs; RecordFailure does');
  }
}
