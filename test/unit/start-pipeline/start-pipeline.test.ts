import type { JobRecord } from '../../../functions/lib/contracts/job';
import { BOT_OWNER } from '../../../functions/lib/access/ownership';
import type {
  ExecutionStarter,
  JobRegistry,
  ObjectHead,
  ObjectStore,
  VersionedRef,
} from '../../../functions/lib/ports';
import { decodeS3Key, parseS3Notification } from '../../../functions/lib/pipeline/s3-notification';
import {
  deriveJobId,
  formatBytes,
  startPipelineForMessage,
  uploadSettings,
  type StartPipelinePorts,
} from '../../../functions/lib/pipeline/start-pipeline';
import { configSchema } from '../../../functions/start-pipeline/config';

const options = { maxUploadBytes: 1024 ** 3, allowedExtensions: ['mp4', 'mov'], retentionDays: 30 };

function s3Message(key: string, size = 1000, eventName = 'ObjectCreated:Put', versionId?: string) {
  const body = {
    Records: [
      {
        eventName,
        s3: {
          bucket: { name: 'uploads-bucket' },
          object: { key, size, eTag: 'abc', ...(versionId ? { versionId } : {}) },
        },
      },
    ],
  };
  return { messageId: 'm-1', body: JSON.stringify(body) };
}

/** Ports that record what the use case did, with a job table held in a Map. */
function recordingPorts(
  head: (ref: VersionedRef) => ObjectHead | undefined = () => ({ size: 1000, etag: 'abc', metadata: {} }),
) {
  const rows = new Map<string, JobRecord>();
  const logLines: Array<{ message: string; attributes: Record<string, unknown> }> = [];
  const started: Array<{ name: string; input: unknown }> = [];
  const heads: VersionedRef[] = [];
  const jobs: Pick<JobRegistry, 'createIfAbsent' | 'get' | 'setExecution' | 'fail'> = {
    createIfAbsent: async (job) => (rows.has(job.jobId) ? false : (rows.set(job.jobId, job), true)),
    get: async (jobId) => rows.get(jobId),
    setExecution: async (jobId, executionArn) => {
      rows.set(jobId, { ...rows.get(jobId)!, executionArn, status: 'RUNNING' });
    },
    fail: async (jobId, error) => {
      rows.set(jobId, { ...rows.get(jobId)!, status: 'FAILED', error });
      return true;
    },
  };
  const objects: Pick<ObjectStore, 'head'> = {
    head: async (ref) => {
      heads.push(ref);
      return head(ref);
    },
  };
  const executions: ExecutionStarter = {
    start: async (name, input) => {
      started.push({ name, input });
      return { executionArn: `arn:aws:states:eu-west-1:1:execution:sm:${name}`, alreadyStarted: false };
    },
  };
  const ports = {
    jobs: jobs as JobRegistry,
    objects: objects as ObjectStore,
    executions,
    clock: { now: () => new Date('2025-11-21T10:00:00Z') },
    log: {
      info: (message: string, attributes: Record<string, unknown>) => logLines.push({ message, attributes }),
      warn: (message: string, attributes: Record<string, unknown>) => logLines.push({ message, attributes }),
    },
  } satisfies StartPipelinePorts;
  return { ports, rows, logLines, started, heads };
}

describe('startPipelineForMessage', () => {
  it('logs why it ignored a key outside the filters and writes no job', async () => {
    // Prepare
    const { ports, rows, logLines } = recordingPorts();

    // Act
    const outcomes = await startPipelineForMessage(s3Message('uploads/slides.pdf'), ports, options);

    // Assess
    expect(outcomes).toEqual([{ outcome: 'ignored', reason: expect.stringContaining('does not end in .mp4, .mov') }]);
    expect(logLines).toContainEqual({
      message: 'upload ignored',
      attributes: expect.objectContaining({ reason: expect.stringContaining('uploads/slides.pdf') }),
    });
    expect(rows.size).toBe(0);
  });

  it('accepts extensions in any case and ignores events that create nothing', async () => {
    // Prepare
    const { ports, started } = recordingPorts();

    // Act
    const upper = await startPipelineForMessage(s3Message('uploads/CLIP.MP4'), ports, options);
    const removed = await startPipelineForMessage(
      s3Message('uploads/clip.mp4', 0, 'ObjectRemoved:Delete'),
      ports,
      options,
    );

    // Assess
    expect(upper[0]).toMatchObject({ outcome: 'started' });
    expect(removed[0]).toMatchObject({ outcome: 'ignored' });
    expect(started).toHaveLength(1);
  });

  it('leaves a rejected upload FAILED and treats its redelivery as a duplicate', async () => {
    // Prepare
    const { ports, rows, started } = recordingPorts();
    const message = s3Message('uploads/empty.mp4', 0);

    // Act
    const first = await startPipelineForMessage(message, ports, options);
    const again = await startPipelineForMessage(message, ports, options);

    // Assess
    expect(first[0]).toMatchObject({ outcome: 'rejected', error: { name: 'UploadRejectedError' } });
    expect(again[0]).toMatchObject({ outcome: 'duplicate' });
    expect([...rows.values()].map((row) => row.status)).toEqual(['FAILED']);
    expect(started).toHaveLength(0);
  });

  it('leaves a deleted upload FAILED with a reason a user can act on, and starts nothing', async () => {
    // Prepare: the object was gone (S3 answered 404) by the time the event arrived.
    const { ports, rows, started } = recordingPorts(() => undefined);

    // Act
    const outcomes = await startPipelineForMessage(s3Message('uploads/u1/talk.mp4'), ports, options);

    // Assess
    expect(outcomes).toEqual([
      expect.objectContaining({
        outcome: 'rejected',
        error: expect.objectContaining({ name: 'SourceObjectMissingError' }),
      }),
    ]);
    expect([...rows.values()]).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        error: {
          name: 'SourceObjectMissingError',
          message: 'talk.mp4 was deleted before processing began. Upload the file again.',
        },
      }),
    ]);
    expect(started).toEqual([]);
  });

  it('heads and starts the version the event names, not whatever the key holds now', async () => {
    // Prepare
    const { ports, started, heads } = recordingPorts();

    // Act
    await startPipelineForMessage(s3Message('uploads/u1/talk.mp4', 1000, 'ObjectCreated:Put', 'v-42'), ports, options);

    // Assess
    expect(heads).toEqual([{ bucket: 'uploads-bucket', key: 'uploads/u1/talk.mp4', versionId: 'v-42' }]);
    expect(started[0]?.input).toMatchObject({ source: { versionId: 'v-42' } });
  });

  it.each([
    [
      'an upload signed for a user',
      'uploads/u1/talk.mp4',
      { owner: '7d8f2c1e-0000-4000-8000-000000000001' },
      '7d8f2c1e-0000-4000-8000-000000000001',
    ],
    ["the bot's contribution", 'contributions/c0ffee/rec-1.mp4', { owner: 'someone' }, BOT_OWNER],
    ["an operator's aws s3 cp", 'uploads/talk.mp4', {}, undefined],
    ['metadata that claims to be the bot', 'uploads/u1/talk.mp4', { owner: BOT_OWNER }, undefined],
  ])('records who owns the job for %s', async (_case, key, metadata, owner) => {
    // Prepare
    const { ports, rows } = recordingPorts(() => ({ size: 1000, etag: 'abc', metadata }));

    // Act
    await startPipelineForMessage(s3Message(key), ports, options);

    // Assess
    expect([...rows.values()][0]?.owner).toBe(owner);
  });

  it('gives the job row a TTL at the end of the retention of its files', async () => {
    // Prepare
    const { ports, rows } = recordingPorts();

    // Act
    await startPipelineForMessage(s3Message('uploads/u1/talk.mp4'), ports, options);

    // Assess
    expect([...rows.values()][0]?.expiresAt).toBe(Date.parse('2025-11-21T10:00:00Z') / 1000 + 30 * 86_400);
  });

  it('throws for a body that is not an S3 notification, so the message is retried and dead-lettered', async () => {
    // Prepare
    const { ports } = recordingPorts();

    // Act
    const result = startPipelineForMessage({ messageId: 'm-2', body: '{"hello":"world"}' }, ports, options);

    // Assess
    await expect(result).rejects.toThrow(/not an S3 event notification/);
  });
});

describe("what an upload's metadata asks of its job", () => {
  it('decodes a URI-encoded (Hebrew) reference, and takes a language and duration limits', () => {
    // Prepare: what the bot writes on a Hebrew recording (S3 metadata is ASCII)
    const metadata = {
      reference: encodeURIComponent('השמש זורחת בבוקר'),
      'reference-encoding': 'uri',
      'transcribe-language': 'he-IL',
      'min-duration-sec': '1',
      'max-duration-sec': '20',
    };

    // Act
    const settings = uploadSettings(metadata);

    // Assess
    expect(settings).toEqual({
      reference: 'השמש זורחת בבוקר',
      language: 'he-IL',
      limits: { minDurationSec: 1, maxDurationSec: 20 },
    });
  });

  it('keeps a plain reference as it is and ignores values it cannot use', () => {
    expect(uploadSettings({ reference: ' bin blue at f two now ' })).toEqual({ reference: 'bin blue at f two now' });
    expect(
      uploadSettings({
        reference: '%E0%A4%A',
        'reference-encoding': 'uri',
        'transcribe-language': 'hebrew; rm -rf',
        'max-duration-sec': 'soon',
      }),
    ).toEqual({});
  });
});

describe('S3 notification helpers', () => {
  it('decodes keys the way S3 encodes them', () => {
    expect(decodeS3Key('uploads/my+video%C3%A9+%2B1.mp4')).toBe('uploads/my videoé +1.mp4');
    expect(decodeS3Key('uploads/a%2Fb%20c.mp4')).toBe('uploads/a/b c.mp4');
  });

  it('recognises the s3:TestEvent body', () => {
    expect(parseS3Notification('{"Service":"Amazon S3","Event":"s3:TestEvent"}')).toEqual({ kind: 'test-event' });
  });

  it('derives a 32-hex job id that changes with bucket, key and version', () => {
    const id = deriveJobId('b', 'uploads/x.mp4', 'v1');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(deriveJobId('b', 'uploads/x.mp4', 'v1')).toBe(id);
    expect(new Set([id, deriveJobId('b', 'uploads/x.mp4', 'v2'), deriveJobId('c', 'uploads/x.mp4', 'v1')]).size).toBe(
      3,
    );
  });

  it('formats sizes for people', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GB');
  });
});

describe('start-pipeline config', () => {
  it('defaults the extensions and size limit and names what is missing', () => {
    // Prepare
    const env = { JOBS_TABLE: 'jobs', STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:1:stateMachine:sm' };

    // Act
    const config = configSchema.parse(env);
    const custom = configSchema.parse({ ...env, ALLOWED_EXTENSIONS: ' .MP4, webm ', MAX_UPLOAD_BYTES: '1000' });
    const missing = configSchema.safeParse({});

    // Assess
    expect(config.ALLOWED_EXTENSIONS).toEqual([
      ...['mp4', 'm4v', 'mov', 'mkv', 'webm', 'mpg', 'mpeg', 'avi'],
      ...['mp3', 'm4a', 'wav', 'ogg', 'opus', 'flac'],
    ]);
    expect(config.MAX_UPLOAD_BYTES).toBe(2 * 1024 ** 3);
    expect(custom).toMatchObject({ ALLOWED_EXTENSIONS: ['mp4', 'webm'], MAX_UPLOAD_BYTES: 1000 });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.map((issue) => issue.path[0])).toEqual(['JOBS_TABLE', 'STATE_MACHINE_ARN']);
  });
});
