import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as z from 'zod';
import { AwsServiceError, closeServer, createJsonServer, listen, parseInput } from '../json-protocol';
import { JobQueue, JobRecordStore } from '../job-queue';
import { defaultMediaTools, firstLine, probe, toSpeechWav, type MediaTools } from '../media';
import {
  bucketExists,
  downloadObject,
  objectUrl,
  parseMediaUri,
  putJson,
  s3ClientFor,
  type S3Location,
} from '../s3-access';
import { silentLogger, type EmulatorHandle, type EmulatorOptions } from '../types';
import { SileroVoiceActivityDetector } from '../../../../functions/lib/adapters/silero-vad';
import type { VoiceActivityDetector } from '../../../../functions/lib/speech/voice-activity';
import { locateModel } from '../../../models/weights';
import { recognise, type PocketsphinxOptions } from './pocketsphinx';
import { keepOnlySpeech } from './speech-only';
import { buildTranscriptDocument } from './transcript-document';

export interface TranscribeEmulatorOptions extends EmulatorOptions {
  pocketsphinx?: Omit<PocketsphinxOptions, 'signal'>;
  mediaTools?: MediaTools;
  /** Finds the speech to transcribe; Silero VAD from ../shared/models (or its download) by default. */
  voiceActivity?: () => Promise<VoiceActivityDetector>;
}

type JobStatus = 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

interface TranscriptionJobRecord {
  name: string;
  status: JobStatus;
  mediaFileUri: string;
  mediaFormat?: string;
  mediaSampleRateHertz?: number;
  languageCode?: string;
  identifyLanguage?: boolean;
  output?: S3Location;
  showSpeakerLabels: boolean;
  maxSpeakerLabels?: number;
  /** Epoch milliseconds. */
  creationTime: number;
  startTime?: number;
  completionTime?: number;
  failureReason?: string;
  transcriptFileUri?: string;
}

const BAD_REQUEST = 'BadRequestException';
const MEDIA_FORMATS = ['mp3', 'mp4', 'wav', 'flac', 'ogg', 'amr', 'webm', 'm4a'] as const;
/** ffprobe's format_name for each MediaFormat Transcribe takes. */
const FFPROBE_FORMATS: Record<(typeof MEDIA_FORMATS)[number], string[]> = {
  mp3: ['mp3'],
  mp4: ['mov', 'mp4'],
  m4a: ['mov', 'mp4', 'm4a'],
  wav: ['wav'],
  flac: ['flac'],
  ogg: ['ogg'],
  webm: ['webm', 'matroska'],
  amr: ['amr'],
};

const startRequestSchema = z.object({
  TranscriptionJobName: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[0-9a-zA-Z._-]+$/, 'must match [0-9a-zA-Z._-]+'),
  Media: z.object({ MediaFileUri: z.string().min(1).max(2000) }),
  MediaFormat: z.enum(MEDIA_FORMATS).optional(),
  MediaSampleRateHertz: z.number().int().min(8000).max(48000).optional(),
  LanguageCode: z.string().optional(),
  IdentifyLanguage: z.boolean().optional(),
  IdentifyMultipleLanguages: z.boolean().optional(),
  LanguageOptions: z.array(z.string()).optional(),
  OutputBucketName: z
    .string()
    .regex(/^[a-z0-9][.a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .optional(),
  OutputKey: z.string().min(1).max(1024).optional(),
  Settings: z
    .object({
      ShowSpeakerLabels: z.boolean().optional(),
      MaxSpeakerLabels: z.number().int().min(2).max(30).optional(),
    })
    .optional(),
  JobExecutionSettings: z
    .object({
      AllowDeferredExecution: z.boolean().optional(),
      DataAccessRoleArn: z
        .string()
        .regex(/^arn:aws(-[a-z-]+)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN')
        .optional(),
    })
    .optional(),
});

/** Amazon Transcribe's default quota of concurrent batch transcription jobs. */
export const DEFAULT_TRANSCRIBE_JOB_QUOTA = 250;

const jobNameSchema = z.object({ TranscriptionJobName: z.string().min(1).max(200) });

const listRequestSchema = z.object({
  Status: z.enum(['QUEUED', 'IN_PROGRESS', 'COMPLETED', 'FAILED']).optional(),
  JobNameContains: z.string().optional(),
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
});

const FAILURE = {
  missingMedia:
    "The URI that you provided doesn't point to an S3 object. Make sure that the object exists and try your request again.",
  formatMismatch:
    'The media format provided does not match the detected media format. Check the media format of your media file and try your request again.',
  noAudio: 'The media file has no audio stream. Provide a file with an audio track and try your request again.',
  restarted: 'The local Transcribe emulator restarted while the job ran. Start the job again under a new name.',
};

/**
 * Amazon Transcribe's batch API (StartTranscriptionJob, GetTranscriptionJob,
 * ListTranscriptionJobs, DeleteTranscriptionJob) over pocketsphinx, in AWS's JSON-1.1 protocol,
 * so the real @aws-sdk/client-transcribe works against it. Jobs run in the background and
 * write Transcribe's own output JSON to OutputBucketName/OutputKey.
 */
export async function startTranscribeEmulator(options: TranscribeEmulatorOptions): Promise<EmulatorHandle> {
  const logger = options.logger ?? silentLogger;
  const s3 = s3ClientFor(options.s3);
  const tools = options.mediaTools ?? defaultMediaTools();
  let defaultVoiceActivity: Promise<VoiceActivityDetector> | undefined;
  const voiceActivity =
    options.voiceActivity ??
    (() =>
      (defaultVoiceActivity ??= locateModel('silero-vad').then((model) => SileroVoiceActivityDetector.load(model))));
  const serviceDir = path.join(options.dataDir, 'transcribe');
  const transcriptsDir = path.join(serviceDir, 'transcripts');
  const store = new JobRecordStore<TranscriptionJobRecord>(path.join(serviceDir, 'jobs'));
  const jobs = new Map<string, TranscriptionJobRecord>();
  let baseUrl = '';

  for (const record of await store.loadAll()) {
    if (record.status === 'QUEUED' || record.status === 'IN_PROGRESS') {
      Object.assign(record, { status: 'FAILED', failureReason: FAILURE.restarted, completionTime: Date.now() });
      await store.save(record.name, record);
    }
    jobs.set(record.name, record);
  }

  const update = (record: TranscriptionJobRecord, changes: Partial<TranscriptionJobRecord>) => {
    Object.assign(record, changes);
    void store
      .save(record.name, record)
      .catch((error: unknown) =>
        logger.error('could not save a job record', { job: record.name, error: String(error) }),
      );
  };

  const queue = new JobQueue(options.concurrency ?? 1, logger, (name) => {
    const record = jobs.get(name);
    if (record?.status === 'QUEUED') update(record, { status: 'IN_PROGRESS', startTime: Date.now() });
  });

  async function run(record: TranscriptionJobRecord, signal: AbortSignal): Promise<void> {
    const workDir = path.join(serviceDir, 'work', record.name);
    const started = performance.now();
    try {
      signal.throwIfAborted();
      await mkdir(workDir, { recursive: true });
      const mediaPath = path.join(workDir, 'media');
      const media = parseMediaUri(record.mediaFileUri);
      if (!media || !(await downloadObject(s3, media, mediaPath, signal))) return fail(record, FAILURE.missingMedia);
      const probed = await probe(mediaPath, tools, signal);
      if (!probed) {
        return fail(
          record,
          `The media file could not be decoded: ${(await stat(mediaPath)).size === 0 ? 'it is empty' : 'it is not a recognised audio or video format'}. Check that it is a playable audio file and try your request again.`,
        );
      }
      const format = record.mediaFormat as (typeof MEDIA_FORMATS)[number] | undefined;
      const detected = probed.formatName.split(',');
      if (format && !FFPROBE_FORMATS[format].some((name) => detected.includes(name))) {
        return fail(record, FAILURE.formatMismatch);
      }
      const audio = probed.streams.find((stream) => stream.codec_type === 'audio');
      if (!audio) return fail(record, FAILURE.noAudio);
      const wavPath = path.join(workDir, 'speech.wav');
      const converted = await toSpeechWav(mediaPath, wavPath, tools, signal, probed.demuxer);
      if (converted.code !== 0) {
        return fail(
          record,
          `The media file could not be decoded: ${firstLine(converted.stderr) || 'ffmpeg failed'}. Check that it is a playable audio file and try your request again.`,
        );
      }
      const recognitionStarted = performance.now();
      // Only the speech is transcribed; a recording without any gets an empty transcript.
      const speech = await keepOnlySpeech(wavPath, await voiceActivity());
      signal.throwIfAborted();
      const utterances = speech.length ? await recognise(wavPath, { ...options.pocketsphinx, signal }) : [];
      const document = buildTranscriptDocument(record.name, utterances, { speakerLabels: record.showSpeakerLabels });
      let transcriptFileUri: string;
      if (record.output) {
        await putJson(s3, record.output, document);
        transcriptFileUri = await objectUrl(s3, record.output);
      } else {
        // Transcribe keeps it in its own bucket and hands out a URL; here the emulator serves it.
        await mkdir(transcriptsDir, { recursive: true });
        await writeFile(path.join(transcriptsDir, `${record.name}.json`), JSON.stringify(document));
        transcriptFileUri = `${baseUrl}/transcripts/${encodeURIComponent(record.name)}.json`;
      }
      update(record, {
        status: 'COMPLETED',
        completionTime: Date.now(),
        transcriptFileUri,
        ...(record.identifyLanguage ? { languageCode: 'en-US' } : {}),
        ...(audio.sample_rate ? { mediaSampleRateHertz: Number(audio.sample_rate) } : {}),
      });
      logger.info('transcription completed', {
        job: record.name,
        words: utterances.reduce((sum, utterance) => sum + utterance.words.length, 0),
        recognitionMs: Math.round(performance.now() - recognitionStarted),
        totalMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      const reason = signal.aborted
        ? String((signal.reason as Error | undefined)?.message ?? 'The job was stopped.')
        : `Internal failure: ${(error as Error).message}`;
      fail(record, reason);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  function fail(record: TranscriptionJobRecord, failureReason: string): void {
    update(record, { status: 'FAILED', failureReason, completionTime: Date.now() });
    logger.warn('transcription failed', { job: record.name, failureReason });
  }

  async function startTranscriptionJob(input: unknown) {
    const request = parseInput(startRequestSchema, input, BAD_REQUEST);
    const name = request.TranscriptionJobName;
    const languageChoices = [request.LanguageCode, request.IdentifyLanguage, request.IdentifyMultipleLanguages].filter(
      (choice) => choice !== undefined && choice !== false,
    );
    if (languageChoices.length !== 1) {
      throw new AwsServiceError(
        BAD_REQUEST,
        'Specify exactly one of LanguageCode, IdentifyLanguage or IdentifyMultipleLanguages in your request.',
      );
    }
    const english = (code: string) => /^en-[A-Z]{2}$/.test(code);
    if (request.LanguageCode && !english(request.LanguageCode)) {
      throw new AwsServiceError(
        BAD_REQUEST,
        `The local Transcribe emulator has only pocketsphinx's US English model, so it cannot transcribe ${request.LanguageCode}. Use an en-* LanguageCode or IdentifyLanguage.`,
      );
    }
    if (request.LanguageOptions && !request.LanguageOptions.some(english)) {
      throw new AwsServiceError(BAD_REQUEST, 'LanguageOptions must include an English (en-*) language locally.');
    }
    const settings = request.Settings ?? {};
    if (settings.ShowSpeakerLabels && settings.MaxSpeakerLabels === undefined) {
      throw new AwsServiceError(BAD_REQUEST, 'When ShowSpeakerLabels is true, you must also set MaxSpeakerLabels.');
    }
    if (!settings.ShowSpeakerLabels && settings.MaxSpeakerLabels !== undefined) {
      throw new AwsServiceError(BAD_REQUEST, 'MaxSpeakerLabels can only be set when ShowSpeakerLabels is true.');
    }
    const execution = request.JobExecutionSettings;
    if (execution && (execution.AllowDeferredExecution === undefined || !execution.DataAccessRoleArn)) {
      throw new AwsServiceError(
        BAD_REQUEST,
        'If you include JobExecutionSettings, include both AllowDeferredExecution and DataAccessRoleArn.',
      );
    }
    const unfinished = [...jobs.values()].filter(
      (job) => job.status === 'QUEUED' || job.status === 'IN_PROGRESS',
    ).length;
    if (!execution?.AllowDeferredExecution && unfinished >= (options.jobQuota ?? DEFAULT_TRANSCRIBE_JOB_QUOTA)) {
      throw new AwsServiceError(
        'LimitExceededException',
        'You have reached your limit of concurrent transcription jobs. Wait for some to finish, or set JobExecutionSettings.AllowDeferredExecution to queue the job.',
      );
    }
    if (request.OutputKey && !request.OutputBucketName) {
      throw new AwsServiceError(BAD_REQUEST, 'OutputKey needs an OutputBucketName.');
    }
    if (!parseMediaUri(request.Media.MediaFileUri)) {
      throw new AwsServiceError(
        BAD_REQUEST,
        `The Media.MediaFileUri ${request.Media.MediaFileUri} is not an S3 location. Use s3://bucket/key or an https path-style S3 URL.`,
      );
    }
    if (jobs.has(name)) {
      throw new AwsServiceError(
        'ConflictException',
        'The requested job name already exists. Use a different job name.',
      );
    }
    if (request.OutputBucketName && !(await bucketExists(s3, request.OutputBucketName))) {
      throw new AwsServiceError(
        BAD_REQUEST,
        `The output bucket ${request.OutputBucketName} doesn't exist. Create it, or choose another OutputBucketName.`,
      );
    }
    // A second request could have taken the name while the bucket was checked.
    if (jobs.has(name)) {
      throw new AwsServiceError(
        'ConflictException',
        'The requested job name already exists. Use a different job name.',
      );
    }
    const record: TranscriptionJobRecord = {
      name,
      status: 'QUEUED',
      mediaFileUri: request.Media.MediaFileUri,
      ...(request.MediaFormat ? { mediaFormat: request.MediaFormat } : {}),
      ...(request.MediaSampleRateHertz ? { mediaSampleRateHertz: request.MediaSampleRateHertz } : {}),
      ...(request.LanguageCode ? { languageCode: request.LanguageCode } : {}),
      ...(request.IdentifyLanguage || request.IdentifyMultipleLanguages ? { identifyLanguage: true } : {}),
      ...(request.OutputBucketName
        ? { output: { bucket: request.OutputBucketName, key: outputKeyFor(name, request.OutputKey) } }
        : {}),
      showSpeakerLabels: settings.ShowSpeakerLabels ?? false,
      ...(settings.MaxSpeakerLabels !== undefined ? { maxSpeakerLabels: settings.MaxSpeakerLabels } : {}),
      creationTime: Date.now(),
    };
    jobs.set(name, record);
    await store.save(name, record);
    queue.enqueue(name, (signal) => run(record, signal));
    logger.info('transcription job started', { job: name, media: record.mediaFileUri });
    return { TranscriptionJob: describe(record) };
  }

  function find(input: unknown): TranscriptionJobRecord {
    const { TranscriptionJobName } = parseInput(jobNameSchema, input, BAD_REQUEST);
    const record = jobs.get(TranscriptionJobName);
    if (!record) {
      throw new AwsServiceError(
        BAD_REQUEST,
        "The requested job couldn't be found. Check the job name and try your request again.",
      );
    }
    return record;
  }

  function listTranscriptionJobs(input: unknown) {
    const request = parseInput(listRequestSchema, input, BAD_REQUEST);
    const matching = [...jobs.values()]
      .filter((record) => !request.Status || record.status === request.Status)
      .filter((record) => !request.JobNameContains || record.name.includes(request.JobNameContains))
      .sort((a, b) => b.creationTime - a.creationTime);
    const offset = request.NextToken ? decodePageToken(request.NextToken, matching.length) : 0;
    const pageSize = request.MaxResults ?? 5;
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      ...(request.Status ? { Status: request.Status } : {}),
      TranscriptionJobSummaries: page.map((record) => ({
        TranscriptionJobName: record.name,
        TranscriptionJobStatus: record.status,
        CreationTime: seconds(record.creationTime),
        ...(record.startTime ? { StartTime: seconds(record.startTime) } : {}),
        ...(record.completionTime ? { CompletionTime: seconds(record.completionTime) } : {}),
        ...(record.languageCode ? { LanguageCode: record.languageCode } : {}),
        ...(record.failureReason ? { FailureReason: record.failureReason } : {}),
        OutputLocationType: record.output ? 'CUSTOMER_BUCKET' : 'SERVICE_BUCKET',
      })),
      ...(next < matching.length ? { NextToken: Buffer.from(String(next)).toString('base64') } : {}),
    };
  }

  async function deleteTranscriptionJob(input: unknown) {
    const record = find(input);
    if (record.status === 'QUEUED' || record.status === 'IN_PROGRESS') {
      throw new AwsServiceError(BAD_REQUEST, 'The job is still running. Delete it once it has COMPLETED or FAILED.');
    }
    jobs.delete(record.name);
    await store.remove(record.name);
    await rm(path.join(transcriptsDir, `${record.name}.json`), { force: true });
    return {};
  }

  const server = createJsonServer({
    targetPrefix: 'Transcribe',
    internalErrorType: 'InternalFailureException',
    logger,
    operations: {
      StartTranscriptionJob: startTranscriptionJob,
      GetTranscriptionJob: (input) => ({ TranscriptionJob: describe(find(input)) }),
      ListTranscriptionJobs: listTranscriptionJobs,
      DeleteTranscriptionJob: deleteTranscriptionJob,
    },
    async handleGet(urlPath, response) {
      const match = /^\/transcripts\/([0-9a-zA-Z._-]+)\.json$/.exec(urlPath);
      const record = match?.[1] ? jobs.get(match[1]) : undefined;
      if (!record || record.status !== 'COMPLETED' || record.output) return false;
      response.writeHead(200, { 'Content-Type': 'application/json' });
      await pipeline(createReadStream(path.join(transcriptsDir, `${record.name}.json`)), response);
      return true;
    },
  });
  baseUrl = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  logger.info('Transcribe emulator listening', { url: baseUrl });

  return {
    url: baseUrl,
    async close() {
      await closeServer(server);
      await queue.close();
      await store.flush();
    },
  };
}

/** Transcribe's rule: a key ending in .json is the file; anything else is a folder for `<job>.json`. */
export function outputKeyFor(jobName: string, outputKey: string | undefined): string {
  if (!outputKey) return `${jobName}.json`;
  if (outputKey.endsWith('.json')) return outputKey;
  return `${outputKey.replace(/\/+$/, '')}/${jobName}.json`;
}

function describe(record: TranscriptionJobRecord) {
  return {
    TranscriptionJobName: record.name,
    TranscriptionJobStatus: record.status,
    ...(record.languageCode ? { LanguageCode: record.languageCode } : {}),
    ...(record.identifyLanguage ? { IdentifyLanguage: true } : {}),
    ...(record.mediaSampleRateHertz ? { MediaSampleRateHertz: record.mediaSampleRateHertz } : {}),
    ...(record.mediaFormat ? { MediaFormat: record.mediaFormat } : {}),
    Media: { MediaFileUri: record.mediaFileUri },
    Transcript: record.transcriptFileUri ? { TranscriptFileUri: record.transcriptFileUri } : {},
    CreationTime: seconds(record.creationTime),
    ...(record.startTime ? { StartTime: seconds(record.startTime) } : {}),
    ...(record.completionTime ? { CompletionTime: seconds(record.completionTime) } : {}),
    ...(record.failureReason ? { FailureReason: record.failureReason } : {}),
    Settings: {
      ShowSpeakerLabels: record.showSpeakerLabels,
      ...(record.maxSpeakerLabels !== undefined ? { MaxSpeakerLabels: record.maxSpeakerLabels } : {}),
      ChannelIdentification: false,
      ShowAlternatives: false,
    },
  };
}

/** JSON-1.1 timestamps are epoch seconds. */
function seconds(epochMs: number): number {
  return epochMs / 1000;
}

function decodePageToken(token: string, total: number): number {
  const offset = Number(Buffer.from(token, 'base64').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0 || offset > total) {
    throw new AwsServiceError(BAD_REQUEST, 'The NextToken is not valid. Use the token from the previous response.');
  }
  return offset;
}
