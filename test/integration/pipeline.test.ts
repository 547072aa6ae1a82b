/**
 * The whole pipeline on the local stack, driven as a user drives it: files uploaded to S3,
 * jobs followed through the jobs table and Step Functions, results read from S3. One stack
 * for the file (random ports, its own data folder). Lip reading serves the generated test
 * model, as `make local LIPREAD_TEST_MODEL=1` does: a labelled plumbing check whose words
 * stay out of the captions (speakers.test.ts runs the default, with no model). The
 * lip-reading server is killed by the last test, so that one stays last.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { facesDocumentSchema, lipReadingDocumentSchema } from '../../functions/lib/contracts/documents';
import type { JobRecord } from '../../functions/lib/contracts/job';
import { deriveJobId } from '../../functions/lib/pipeline/start-pipeline';
import type { GorggleClient, JobSnapshot } from '../../scripts/gorggle-cli/gorggle-client';
import { processVideo, type ProcessedVideo } from '../../scripts/gorggle-cli/process-video';
import { functionEnvironment } from '../../scripts/local-stack/lambda/environment';
import { toS3NotificationRecord } from '../../scripts/local-stack/s3/notifications';
import { toApiGatewayEvent } from '../../scripts/local-api-gateway';
import type { LocalStack } from '../../scripts/local-stack/stack';
import { contains, makeFiveHourClip, makeHlsPolyglot, makeSecretWav } from '../support/hostile-media';
import { GRID_DIR, gridAvailable, REPO_ROOT } from '../support/paths';
import { localStackArtefacts, requireBuilt } from '../support/built-artifacts';
import {
  gridReferences,
  makeAudioOnlyClip,
  makeEmptyFile,
  makeFacelessClip,
  makeSilentClip,
  makeTextFile,
  parseWebVtt,
} from './support/media';
import { startTestStack, type TestStack } from './support/stack';

const TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');
const FUNCTIONS_DIR = path.join(REPO_ROOT, 'dist', 'functions');

requireBuilt(await localStackArtefacts());
// The GRID clips live beside the repository, not in it.
const ready = gridAvailable();
if (!ready) console.warn('test/integration skipped: needs ../shared/fixtures/grid.');

const SECONDS = 1000;
/** Generous: a definite state, not a speed, is what the bad-input test checks. */
const DEFINITE_STATE_DEADLINE_MS = 420 * SECONDS;

const wordsOf = (run: ProcessedVideo) => run.result?.segments.flatMap((segment) => segment.words) ?? [];

/** Keys the local stack replaces: no SSM to read the lip-reading server's secret from. */
const LOCAL_STAND_INS: Record<string, string> = {
  AVHUBERT_SECRET_PARAMETER: 'AVHUBERT_SECRET',
};

/** What @cdktf/hcl2json gives for a .tf file: each block type maps to arrays of blocks. */
interface HclFile {
  locals?: object[];
  variable?: Record<string, Array<{ default?: unknown }>>;
  resource?: unknown;
}

/** Why a job is not plainly COMPLETED: its error, its degraded reasons, or a modality's reason. */
function reasonOf(job: JobRecord | undefined, processed?: ProcessedVideo): string {
  const reasons = [
    job?.error?.message,
    processed?.result?.emptyReason,
    ...(job?.summary?.degradedReasons ?? []),
    ...Object.values(processed?.result?.modalities ?? {}).map((status) => status.reason ?? status.error?.message),
  ].filter((reason): reason is string => Boolean(reason?.trim()));
  return reasons.join('; ');
}

/** A job's status with its reasons, so that a failed expectation says why the job ended so. */
const statusOf = (run: ProcessedVideo) => ({
  status: run.snapshot.job?.status,
  reason: reasonOf(run.snapshot.job, run),
});

(ready ? describe : describe.skip)('the pipeline on the local stack', () => {
  let stack: LocalStack;
  let client: GorggleClient;
  let workDir: string;
  let dataDir: string;

  const readJson = async (key: string) => JSON.parse((await client.readProcessed(key)).toString('utf8')) as unknown;
  const runningExecutions = async () =>
    (
      await client.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stack.names.stateMachineArn, statusFilter: 'RUNNING' }),
      )
    ).executions ?? [];

  let testStack: TestStack | undefined;

  beforeAll(async () => {
    testStack = await startTestStack('gorggle-integration', { lipReadingTestModel: true });
    ({ stack, client, workDir, dataDir } = testStack);
  }, 240 * SECONDS);

  afterAll(() => testStack?.stop(), 30 * SECONDS);

  it('holds the stack to the same function names, environment keys and upload filters as Terraform', async () => {
    // Prepare: read the Terraform files directly, not through the stack's own reader.
    const hcl = async (file: string) =>
      (await parseHcl(file, readFileSync(path.join(TERRAFORM_DIR, file), 'utf8'))) as HclFile;
    const pipeline = await hcl('pipeline.tf');
    const storage = await hcl('storage.tf');
    const variables = await hcl('variables.tf');
    const locals = Object.assign({}, ...(pipeline.locals ?? [])) as Record<string, Record<string, object>>;
    const storageLocals = Object.assign({}, ...(storage.locals ?? [])) as { upload_prefixes: string[] };
    const defaultOf = (name: string) => variables.variable?.[name]?.[0]?.default;
    const functionNameTemplate = (
      pipeline.resource as { aws_lambda_function: { this: Array<{ function_name: string }> } }
    ).aws_lambda_function.this[0]?.function_name;
    const notification = (
      storage.resource as {
        aws_s3_bucket_notification: {
          uploads: Array<{ dynamic: { queue: Array<{ content: Array<{ events: string[] }> }> } }>;
        };
      }
    ).aws_s3_bucket_notification.uploads[0]?.dynamic.queue[0]?.content[0]?.events;
    const functionsInTerraform = Object.keys(locals.lambda_functions ?? {}).sort();
    const extensions = defaultOf('allowed_extensions') as string[];
    expect(notification).toEqual(['s3:ObjectCreated:*']);

    // Act
    const stackFunctions = Object.keys(stack.facts.functions).sort();
    const environments = Object.fromEntries(
      stackFunctions.map((name) => [name, functionEnvironment(name, stack.environment, { taskRoot: '/var/task' })]),
    );

    // Assess: function names
    expect(stackFunctions).toEqual(functionsInTerraform);
    expect(functionNameTemplate).toBe('${var.name_prefix}-${each.key}');
    for (const name of functionsInTerraform) {
      expect(environments[name]?.AWS_LAMBDA_FUNCTION_NAME).toBe(`${String(defaultOf('name_prefix'))}-${name}`);
      expect(existsSync(path.join(FUNCTIONS_DIR, `${name}.zip`))).toBe(true);
    }
    // Assess: environment keys, less the one with no local counterpart (the model in S3)
    for (const name of functionsInTerraform) {
      const terraformKeys = Object.keys({
        ...locals.common_function_environment,
        ...(locals.function_environment?.[name] ?? {}),
      })
        .filter((key) => key !== 'AVHUBERT_MODEL_MANIFEST')
        .map((key) => LOCAL_STAND_INS[key] ?? key);
      expect(Object.keys(environments[name] ?? {})).toEqual(expect.arrayContaining(terraformKeys));
    }
    // Assess: event filters, every prefix with every extension in both cases
    const expectedFilters = storageLocals.upload_prefixes.flatMap((prefix) =>
      [...new Set(extensions.flatMap((ext) => [`.${ext.toLowerCase()}`, `.${ext.toUpperCase()}`]))].map((suffix) => ({
        prefix,
        suffix,
        events: notification,
      })),
    );
    expect(stack.facts.uploadFilters.map(({ prefix, suffix, events }) => ({ prefix, suffix, events }))).toEqual(
      expect.arrayContaining(expectedFilters),
    );
    expect(stack.facts.uploadFilters).toHaveLength(expectedFilters.length);
  });

  it('starts nothing for uploads outside the filters (wrong prefix, wrong extension)', async () => {
    // Prepare
    const clip = path.join(GRID_DIR, 'bbaf2n.mpg');

    // Act
    const outside = await client.upload(clip, { key: 'elsewhere/bbaf2n.mpg' });
    const wrongExtension = await client.upload(makeTextFile(workDir, 'notes.txt'), { key: 'uploads/notes.txt' });
    // An empty upload inside the filters, after them: once its (rejected) job row is there,
    // S3 has announced everything before it, so nothing more can come of the first two.
    const sentinel = await client.upload(makeEmptyFile(workDir, 'sentinel.mp4'), { key: 'uploads/sentinel.mp4' });
    const sentinelJob = await client.waitForJob(sentinel.jobId, { timeoutMs: 180 * SECONDS });
    await stack.uploadEvents.idle();

    // Assess
    expect(sentinelJob.job?.status).toBe('FAILED');
    expect(await client.getJob(outside.jobId)).toBeUndefined();
    expect(await client.getJob(wrongExtension.jobId)).toBeUndefined();
  });

  it(
    'takes every GRID clip to COMPLETED with a transcript, faces, lip reading, captions and audio WER',
    async () => {
      // Prepare
      const clips = gridReferences();
      expect(clips.length).toBeGreaterThanOrEqual(8);

      // Act: all at once, as a burst of uploads would arrive.
      const processed = await Promise.all(
        clips.map(({ file, reference }) =>
          processVideo(client, path.join(GRID_DIR, file), { reference, timeoutMs: 540 * SECONDS }),
        ),
      );

      // Assess
      for (const [index, run] of processed.entries()) {
        const { file } = clips[index]!;
        const job = run.snapshot.job;
        expect({ file, status: job?.status, degraded: job?.summary?.degradedReasons }).toEqual({
          file,
          status: 'COMPLETED',
          degraded: [],
        });
        const jobDir = `jobs/${run.uploaded.jobId}`;

        const transcribe = (await readJson(`${jobDir}/transcribe.json`)) as {
          results: { transcripts: Array<{ transcript: string }> };
        };
        expect(transcribe.results.transcripts[0]?.transcript.trim()).not.toBe('');

        const faces = facesDocumentSchema.parse(await readJson(`${jobDir}/faces.json`));
        const sampledFrames = Math.round(faces.durationSec / faces.frameIntervalSec);
        const framesWithFace = new Set(faces.detections.map((detection) => detection.time.toFixed(3))).size;
        expect({ file, coverage: framesWithFace / sampledFrames >= 0.9 }).toEqual({ file, coverage: true });

        const lipReading = lipReadingDocumentSchema.parse(await readJson(`${jobDir}/lipreading.json`));
        expect(run.result?.modalities.lipreading).toEqual({
          status: 'succeeded',
          reason: expect.stringMatching(/^lip read by the stand-in test model gorggle-test-seq2seq/),
        });
        expect(lipReading.segments.length).toBeGreaterThan(0);
        // The stand-in's words are labelled where they are shown, and kept out of the captions.
        expect(run.result?.segments.every((segment) => segment.visualText === '')).toBe(true);
        expect((await client.readProcessed(`${jobDir}/visual.vtt`)).toString('utf8')).toContain(
          '<v TEST MODEL, not real lip reading>',
        );
        // One person, seen speaking by active speaker detection (LR-ASD) during their words.
        expect(run.result?.speakers).toEqual([expect.objectContaining({ id: 'S1', onScreen: true })]);
        expect({ file, activeSpeakers: run.result?.modalities.activeSpeakers }).toEqual({
          file,
          activeSpeakers: { status: 'succeeded' },
        });
        expect(run.result?.speakerEvidence).toBe('active-speaker');
        expect({ file, meanSpeakingScore: (run.result?.speakers[0]?.meanSpeakingScore ?? 0) > 0 }).toEqual({
          file,
          meanSpeakingScore: true,
        });
        const words = run.result?.segments.flatMap((segment) => segment.words) ?? [];
        const scoredPositive = words.filter((word) => (word.speakingScore ?? 0) > 0).length;
        expect({ file, wordsScoredSpeaking: scoredPositive / words.length >= 0.8 }).toEqual({
          file,
          wordsScoredSpeaking: true,
        });
        expect(run.result?.speech?.segments.length).toBeGreaterThan(0);

        const cues = parseWebVtt((await client.readProcessed(`${jobDir}/captions.vtt`)).toString('utf8'));
        expect(cues.length).toBeGreaterThan(0);
        cues.forEach((cue, cueIndex) => {
          expect(cue.end).toBeGreaterThan(cue.start);
          if (cueIndex > 0) expect(cue.start).toBeGreaterThanOrEqual(cues[cueIndex - 1]!.end);
        });

        expect(run.result?.metrics.wer?.audio).toEqual(expect.any(Number));
      }
    },
    // Every clip at once on 2 cores, each scored by LR-ASD too: generous.
    600 * SECONDS,
  );

  it(
    'ends every input in a definite state: FAILED with the reason when nothing is usable, DEGRADED with the words when a modality is missing',
    async () => {
      // Prepare: real speech and real faces, so only the missing part can be missing.
      const speech = path.join(GRID_DIR, 'swwp2s.mpg');
      const face = path.join(GRID_DIR, 'bbaf2n.mpg');
      const secret = await makeSecretWav(workDir);
      const inputs = {
        'zero-byte file': makeEmptyFile(workDir, 'empty clip.MP4'),
        'text file named .mp4': makeTextFile(workDir, 'notes.mp4'),
        'speech without a picture': await makeAudioOnlyClip(workDir, speech),
        'speech over a picture without a face': await makeFacelessClip(workDir, speech),
        'a face without sound': await makeSilentClip(workDir, face),
        'HLS polyglot named .mp4': await makeHlsPolyglot(workDir, secret.path),
        'five hours of 16×16 video': await makeFiveHourClip(workDir),
      };

      // Act: all at once; each must reach a definite state well within the deadline.
      const runs = Object.fromEntries(
        await Promise.all(
          Object.entries(inputs).map(
            async ([name, file]) =>
              [name, await processVideo(client, file, { timeoutMs: DEFINITE_STATE_DEADLINE_MS })] as const,
          ),
        ),
      ) as Record<keyof typeof inputs, ProcessedVideo>;

      // Assess: nothing usable, FAILED with a reason that says what to do.
      expect(runs['zero-byte file'].snapshot.job).toMatchObject({
        status: 'FAILED',
        error: { name: 'UploadRejectedError', message: expect.stringMatching(/empty \(0 bytes\)/) },
      });
      expect(runs['zero-byte file'].snapshot.job?.executionArn).toBeUndefined();
      expect(runs['text file named .mp4'].snapshot.job).toMatchObject({
        status: 'FAILED',
        error: {
          name: 'UnsupportedMediaError',
          message: expect.stringMatching(/not a video or audio file we can read/),
        },
      });
      expect(runs['HLS polyglot named .mp4'].snapshot.job).toMatchObject({
        status: 'FAILED',
        error: { name: 'UnsupportedMediaError', message: expect.stringMatching(/holds 'mpeg' data, not MP4\/MOV/) },
      });
      expect(runs['five hours of 16×16 video'].snapshot.job).toMatchObject({
        status: 'FAILED',
        error: { name: 'UnsupportedMediaError', message: expect.stringMatching(/^The media lasts 5 h, longer than/) },
      });

      // Assess: no picture, so no faces and no lips; the speech is still transcribed.
      const audioOnly = runs['speech without a picture'];
      // Sound alone is a whole job since issue 10 (audio uploads): COMPLETED, the picture's modalities skipped.
      expect(statusOf(audioOnly)).toMatchObject({ status: 'COMPLETED' });
      expect(audioOnly.result?.modalities).toMatchObject({
        faces: { status: 'skipped', reason: 'no video stream' },
        lipreading: { status: 'skipped', reason: 'no video stream' },
      });
      expect(audioOnly.result?.modalities.transcribe.status).toBe('succeeded');
      expect(wordsOf(audioOnly).length).toBeGreaterThan(0);
      expect(wordsOf(audioOnly).every((word) => word.source === 'audio')).toBe(true);

      // Assess: no face, so nothing is seen; the job goes on with the speech.
      const faceless = runs['speech over a picture without a face'];
      expect(statusOf(faceless)).toEqual({
        status: expect.stringMatching(/^(COMPLETED|DEGRADED)$/),
        reason: expect.any(String),
      });
      expect(faceless.result?.modalities.transcribe.status).toBe('succeeded');
      expect(wordsOf(faceless).length).toBeGreaterThan(0);
      expect(faceless.result?.segments.every((segment) => segment.face === undefined)).toBe(true);
      const faces = facesDocumentSchema.parse(await readJson(`jobs/${faceless.uploaded.jobId}/faces.json`));
      expect(faces.detections).toEqual([]);

      // Assess: no sound, so no transcript; the lips are still read.
      const silent = runs['a face without sound'];
      const silentLipReading = lipReadingDocumentSchema.parse(
        await readJson(`jobs/${silent.uploaded.jobId}/lipreading.json`),
      );
      expect(silentLipReading.segments.length).toBeGreaterThan(0);
      // The lips were read, but by the stand-in test model, whose words never reach a user:
      // nothing usable is left, and the job says so (with a real model it ends DEGRADED).
      expect(silent.snapshot.job).toMatchObject({
        status: 'FAILED',
        error: {
          name: 'NothingUsableError',
          message: expect.stringMatching(/no lips could be read .*transcribe: skipped: no audio stream/),
        },
      });

      // Assess: nothing of the file the playlist points at was decoded into any output.
      const processedDir = path.join(dataDir, 's3', stack.names.processedBucket);
      const outputs = readdirSync(processedDir, { recursive: true, withFileTypes: true }).filter((entry) =>
        entry.isFile(),
      );
      expect(outputs.length).toBeGreaterThan(0);
      expect(
        outputs.filter((entry) => contains(readFileSync(path.join(entry.parentPath, entry.name)), secret.marker)),
      ).toEqual([]);

      expect(await runningExecutions()).toEqual([]);
    },
    450 * SECONDS,
  );

  it(
    'makes one job when the same upload is announced again, even after that job has finished',
    async () => {
      // Prepare
      const clip = path.join(GRID_DIR, 'lbax4n.mpg');
      const uploaded = await client.upload(clip, { key: 'uploads/duplicate/lbax4n.mpg' });
      const record = await toS3NotificationRecord(
        {
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: uploaded.bucket },
            object: { key: uploaded.key, size: uploaded.size, eTag: uploaded.etag },
          },
        },
        { region: stack.config.region, filters: stack.facts.uploadFilters },
      );
      const finished = await client.waitForJob(uploaded.jobId, { timeoutMs: 300 * SECONDS });
      const rowBefore = await client.getJob(uploaded.jobId);

      // Act: S3 and SQS deliver at least once; the same event twice more, after the job ended.
      stack.uploadEvents.send(JSON.stringify({ Records: [record] }));
      stack.uploadEvents.send(JSON.stringify({ Records: [record] }));
      await stack.uploadEvents.idle();

      // Assess: the row is untouched (not reset to a new start), and no second execution.
      expect(finished.job?.status).toBe('COMPLETED');
      expect(await client.getJob(uploaded.jobId)).toEqual(rowBefore);
      const executions = await client.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stack.names.stateMachineArn }),
      );
      expect(executions.executions?.filter((execution) => execution.name === uploaded.jobId)).toHaveLength(1);
      const jobs = (await client.listJobs(100)).filter((job) => job.source.key === uploaded.key);
      expect(jobs.map((job) => job.jobId)).toEqual([uploaded.jobId]);
      expect(deriveJobId(uploaded.bucket, uploaded.key, uploaded.etag)).toBe(uploaded.jobId);
    },
    330 * SECONDS,
  );

  /** The api function on the stack, as a signed-in admin (the authorizer's claims). */
  const callApi = async (method: string, rawPath: string) => {
    const event = toApiGatewayEvent({
      method,
      rawPath,
      rawQueryString: '',
      headers: {},
      body: Buffer.alloc(0),
      sourceIp: '127.0.0.1',
      claims: { sub: 'integration-admin', 'cognito:groups': '[admins]' },
    });
    const result = await stack.lambda.invoke('api', event);
    if (!result.ok) throw new Error(`the api function failed: ${result.error.errorMessage}`);
    const response = result.payload as { statusCode: number; body: string };
    return {
      status: response.statusCode,
      body: JSON.parse(response.body) as {
        error: { code: string; message: string };
        files: Record<string, unknown>;
        status: string;
      },
    };
  };

  it(
    'ends a deleted upload FAILED with a reason: the local S3 answers start-pipeline as AWS would',
    async () => {
      // Prepare: S3 announced an upload that is gone by the time start-pipeline heads it. Locally
      // as on AWS, only s3:ListBucket on the bucket makes that a 404 rather than a 403.
      const key = 'uploads/deleted-before-processing/bbaf2n.mpg';
      const uploaded = await client.upload(path.join(GRID_DIR, 'bbaf2n.mpg'), { key: 'elsewhere/bbaf2n.mpg' });
      const record = await toS3NotificationRecord(
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: uploaded.bucket }, object: { key, size: uploaded.size, eTag: uploaded.etag } },
        },
        { region: stack.config.region, filters: stack.facts.uploadFilters },
      );
      const jobId = deriveJobId(uploaded.bucket, key, uploaded.etag);

      // Act
      stack.uploadEvents.send(JSON.stringify({ Records: [record] }));
      const snapshot = await client.waitForJob(jobId, { timeoutMs: 60 * SECONDS });
      const viaApi = await callApi('GET', `/jobs/${jobId}`);

      // Assess
      expect(snapshot.job).toMatchObject({
        status: 'FAILED',
        error: {
          name: 'SourceObjectMissingError',
          message: 'bbaf2n.mpg was deleted before processing began. Upload the file again.',
        },
      });
      expect(snapshot.job?.executionArn).toBeUndefined();
      expect(viaApi.status).toBe(200);
      expect(viaApi.body.error.message).toMatch(/deleted before processing began/);
    },
    90 * SECONDS,
  );

  it(
    'answers a job whose result file is missing with a reason, not a 500, and links the files it still has',
    async () => {
      // Prepare: a finished job of this run, whose result.json then went away.
      const done = (await client.listJobs(100)).find((job) => job.status === 'COMPLETED' && job.kind === 'upload');
      expect(done).toBeDefined();
      const before = await callApi('GET', `/jobs/${done!.jobId}/result`);
      await client.clients.s3.send(
        new DeleteObjectCommand({ Bucket: stack.names.processedBucket, Key: `jobs/${done!.jobId}/result.json` }),
      );

      // Act
      const after = await callApi('GET', `/jobs/${done!.jobId}/result`);
      const job = await callApi('GET', `/jobs/${done!.jobId}`);

      // Assess
      expect(before.status).toBe(200);
      expect(Object.keys(before.body.files)).toEqual(expect.arrayContaining(['result', 'captions', 'video']));
      expect(after.status).toBe(410);
      expect(after.body.error).toMatchObject({
        code: 'RESULT_GONE',
        message: expect.stringMatching(/no longer stored.*Upload the video again/),
      });
      expect(job.body.status).toBe('COMPLETED');
    },
    60 * SECONDS,
  );

  // Keep last: the lip-reading server stays down afterwards.
  it(
    'degrades a job whose lip-reading server is killed mid-run, and records why',
    async () => {
      // Prepare
      const server = stack.lipReadingServer;
      expect(server?.pid).toEqual(expect.any(Number));
      const clip = path.join(GRID_DIR, 'swiz3n.mpg');
      let killedDuring: string | undefined;
      const killWhenLipReadingRuns = (snapshot: JobSnapshot) => {
        const lipReading = snapshot.stages.find((stage) => stage.stage === 'lipreading');
        if (killedDuring || lipReading?.status !== 'running') return;
        killedDuring = lipReading.status;
        process.kill(-(server?.pid ?? 0), 'SIGKILL');
      };

      // Act
      const run = await processVideo(client, clip, {
        reference: 'set white in z three now',
        timeoutMs: 300 * SECONDS,
        onUpdate: killWhenLipReadingRuns,
      });

      // Assess
      expect(killedDuring).toBe('running');
      const job = run.snapshot.job;
      expect(job?.status).toBe('DEGRADED');
      expect(run.result?.modalities.lipreading.status).toBe('failed');
      expect(run.result?.modalities.lipreading.error).toEqual({
        name: 'LipReadingUnavailableError',
        message: expect.stringMatching(/lip-reading (server|host) .*(did not answer|went away)/),
      });
      expect(job?.summary?.degradedReasons).toEqual([
        expect.stringMatching(/^lipreading: LipReadingUnavailableError: /),
      ]);
      expect(run.result?.modalities.transcribe.status).toBe('succeeded');
      expect(run.result?.segments.length).toBeGreaterThan(0);
      expect(await runningExecutions()).toEqual([]);
    },
    330 * SECONDS,
  );
});
