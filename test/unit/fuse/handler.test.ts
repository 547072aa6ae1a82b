import { Readable } from 'node:stream';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { resultDocumentSchema } from '../../../functions/lib/contracts/documents';
import type { FuseInput } from '../../../functions/lib/contracts/pipeline';
import { branchOutput, facesDocument, lipReadingDocument, loadEvent, transcribeJson } from './builders';

const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
const context = {
  functionName: 'gorggle-fuse',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:gorggle-fuse',
} as Context;

/** What S3 returns for GetObject: a stream body. */
const objectBody = (body: string | object) => ({
  Body: Readable.from([Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))]) as never,
});

describe('fuse handler', () => {
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  beforeAll(async () => {
    process.env.JOBS_TABLE = 'gorggle-jobs';
    process.env.PROCESSED_BUCKET = 'gorggle-processed';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    ({ handler } = await import('../../../functions/fuse/handler'));
  });

  beforeEach(() => {
    s3.reset();
    dynamodb.reset();
  });

  it('reads the three documents from S3, writes all five files and finishes the job row', async () => {
    // Prepare
    const event = loadEvent<FuseInput>('fuse/all-modalities.json');
    const jobId = event.job.jobId;
    const words: Array<[string, number, number, number, string]> = [
      ['bin', 0.4, 0.7, 0.95, 'spk_0'],
      ['blue', 0.75, 1.0, 0.9, 'spk_0'],
    ];
    const get = (modality: FuseInput['branches'][number]['modality']) => ({ Key: branchOutput(event, modality).key });
    s3.on(GetObjectCommand, get('transcribe')).callsFake(() => objectBody(transcribeJson(words)));
    s3.on(GetObjectCommand, get('faces')).callsFake(() =>
      objectBody(facesDocument([{ trackId: '1', from: 0, to: 1.2, left: 0.3 }])),
    );
    s3.on(GetObjectCommand, get('lipreading')).callsFake(() =>
      objectBody(lipReadingDocument([words.map(([text, start, end]) => [text, start, end, 0.6])])),
    );
    s3.on(PutObjectCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    const output = await handler(event, context);

    // Assess
    expect(output).toMatchObject({ status: 'COMPLETED', resultKey: `jobs/${jobId}/result.json`, words: 2 });
    const written = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(written.map((input) => [input.Bucket, input.Key, input.ContentType]).sort()).toEqual([
      ['gorggle-processed', `jobs/${jobId}/audio.vtt`, 'text/vtt; charset=utf-8'],
      ['gorggle-processed', `jobs/${jobId}/captions.srt`, 'application/x-subrip; charset=utf-8'],
      ['gorggle-processed', `jobs/${jobId}/captions.vtt`, 'text/vtt; charset=utf-8'],
      ['gorggle-processed', `jobs/${jobId}/result.json`, 'application/json'],
      ['gorggle-processed', `jobs/${jobId}/visual.vtt`, 'text/vtt; charset=utf-8'],
    ]);
    const resultBody = written.find((input) => input.Key?.endsWith('result.json'))?.Body;
    const result = resultDocumentSchema.parse(JSON.parse(String(resultBody)));
    expect(result.segments[0]).toMatchObject({ text: 'bin blue', face: { faceId: '1' } });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
    expect(dynamodb).toHaveReceivedNthSpecificCommandWith(3, UpdateItemCommand, {
      TableName: 'gorggle-jobs',
      Key: { jobId: { S: jobId } },
      ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'COMPLETED' } }),
    });
  });

  it('rejects an event that does not match the fuse contract', async () => {
    // Prepare
    const event = { job: loadEvent<FuseInput>('fuse/all-modalities.json').job, branches: [] };

    // Act
    const invoking = handler(event, context);

    // Assess
    await expect(invoking).rejects.toMatchObject({ name: 'InvalidEventError' });
    expect(s3).not.toHaveReceivedAnyCommand();
  });
});
