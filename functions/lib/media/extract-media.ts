import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Ref } from '../contracts/common';
import { mediaFactsSchema, type MediaFacts, type PipelineInput } from '../contracts/pipeline';
import { MediaTooLongError, MediaTooShortError, UnsupportedMediaError, describeError } from '../errors';
import type { Clock, JobRepository, ObjectStore } from '../ports';
import { detectSpeech, type VoiceActivityDetector } from '../speech/voice-activity';
import { acceptedContainerOf, containersForExtension, type AcceptedContainer } from './media-guard';
import { MediaToolError, type MediaToolkit } from './media-toolkit';
import {
  declaredDuration,
  describeStreams,
  displaySize,
  parseFrameRate,
  parseProbeReport,
  pickAudioStream,
  pickVideoStream,
  type ProbeReport,
} from './probe-report';
import { readPcm16MonoWav } from './wav';

export interface ExtractMediaPorts {
  jobs: JobRepository;
  objects: ObjectStore;
  media: MediaToolkit;
  clock: Clock;
  /** Finds the speech in the audio (speech.json); loaded on first use, as jobs without audio never need it. */
  voiceActivity?: () => Promise<VoiceActivityDetector>;
}

export interface ExtractMediaOptions {
  processedBucket: string;
  /** Where the per-job scratch folder goes; Lambda's /tmp by default. */
  workRoot?: string;
  /** Longer media is refused once probed (the toolkit's `-t` is the second line). */
  maxMediaSeconds: number;
}

/** Less playable media than this holds nothing to caption; such files are cut off or broken. */
export const MIN_PLAYABLE_SECONDS = 0.5;
/** The poster frame is taken this far in, past fade-ins, when the video is long enough. */
export const POSTER_OFFSET_SECONDS = 1;

const UPLOAD_HINT = 'Upload a video (MP4, MOV, MKV or WebM) or an audio file (MP3, M4A, WAV, OGG or FLAC).';

/** jobs/<jobId>/<name> in the processed bucket. */
export function processedRef(bucket: string, jobId: string, name: string): S3Ref {
  return { bucket, key: `jobs/${jobId}/${name}` };
}

/**
 * Turns the uploaded file into what the branches read: a 16 kHz mono WAV, its speech
 * segments, a 25 fps CFR MP4, a poster and the probe report. Records the extract stage on the job row and
 * always empties its scratch folder (Lambda reuses /tmp between invocations).
 */
export async function extractMedia(
  input: PipelineInput,
  ports: ExtractMediaPorts,
  options: ExtractMediaOptions,
): Promise<MediaFacts> {
  const startedAt = ports.clock.now().toISOString();
  await ports.jobs.updateStage(input.jobId, 'extract', { status: 'running', startedAt });
  const workDir = await mkdtemp(path.join(options.workRoot ?? tmpdir(), 'extract-'));
  try {
    const facts = await extractInto(workDir, input, ports, options);
    await ports.jobs.updateStage(input.jobId, 'extract', {
      status: 'succeeded',
      startedAt,
      endedAt: ports.clock.now().toISOString(),
      facts: {
        durationSec: facts.durationSec,
        hasAudio: facts.hasAudio,
        hasVideo: facts.hasVideo,
        width: facts.width,
        height: facts.height,
        fps: facts.fps,
        ...(facts.speech ? { speechSegments: facts.speech.segments, speechSec: facts.speech.speechSec } : {}),
      },
    });
    return facts;
  } catch (caught) {
    const error = explainToolFailure(caught);
    await ports.jobs
      .updateStage(input.jobId, 'extract', {
        status: 'failed',
        startedAt,
        endedAt: ports.clock.now().toISOString(),
        error: describeError(error),
      })
      // The original error matters more; RecordFailure marks the job FAILED anyway.
      .catch(() => undefined);
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function extractInto(
  workDir: string,
  input: PipelineInput,
  ports: ExtractMediaPorts,
  options: ExtractMediaOptions,
): Promise<MediaFacts> {
  const { jobId, source } = input;
  const out = (name: string) => processedRef(options.processedBucket, jobId, name);
  const local = (name: string) => path.join(workDir, name);

  const extension = path.extname(source.key).toLowerCase();
  const sourcePath = local(`source${extension}`);
  // The version the job was made from: a later upload under the same key is another job.
  await ports.objects.download(
    { bucket: source.bucket, key: source.key, ...(source.versionId ? { versionId: source.versionId } : {}) },
    sourcePath,
  );
  if ((await stat(sourcePath)).size === 0) {
    throw new UnsupportedMediaError('The file is empty (0 bytes). Upload the video again.');
  }

  const probeText = await probeSource(ports.media, sourcePath);
  const report = parseProbeReport(probeText);
  await ports.objects.putText(out('probe.json'), probeText, 'application/json');
  const container = assertAcceptedContainer(report, extension);
  assertWithinDurationCap(report, options.maxMediaSeconds);

  // What the file declares, before any decoding; the decoded length is checked again below.
  assertWithinLimits(declaredLength(report), input.limits);

  const videoStream = pickVideoStream(report);
  const audioStream = pickAudioStream(report);
  if (!videoStream && !audioStream) {
    throw new UnsupportedMediaError(
      `The file is not a video or audio file we can read: ffprobe found no audio or video stream ` +
        `(format: '${report.format?.format_name ?? 'unknown'}', streams: ${describeStreams(report)}). ${UPLOAD_HINT}`,
    );
  }

  let audioSeconds = 0;
  if (audioStream) {
    await ports.media.extractAudio(sourcePath, local('audio.wav'), audioStream.index, container.demuxer);
    audioSeconds = await playableSeconds(ports.media, local('audio.wav'));
  }
  let videoSeconds = 0;
  if (videoStream) {
    await ports.media.transcodeVideo(
      sourcePath,
      local('video.mp4'),
      {
        video: videoStream.index,
        ...(audioSeconds > 0 && audioStream ? { audio: audioStream.index } : {}),
      },
      container.demuxer,
    );
    videoSeconds = await playableSeconds(ports.media, local('video.mp4'));
  }
  const durationSec = Math.max(audioSeconds, videoSeconds);
  // A container may understate its length; the outputs stop just past the cap and tell.
  if (durationSec > options.maxMediaSeconds) throw tooLong(durationSec, options.maxMediaSeconds);
  assertComplete(durationSec, report);
  assertWithinLimits(durationSec, input.limits);

  const hasAudio = audioSeconds > 0;
  const hasVideo = videoSeconds > 0;
  const facts: MediaFacts = {
    durationSec: Math.round(durationSec * 1000) / 1000,
    hasAudio,
    hasVideo,
    width: 0,
    height: 0,
    fps: 0,
    probe: out('probe.json'),
  };
  if (hasAudio) {
    facts.audio = out('audio.wav');
    await ports.objects.uploadFile(facts.audio, local('audio.wav'), 'audio/wav');
    if (ports.voiceActivity) {
      const speech = await detectSpeech(await readPcm16MonoWav(local('audio.wav')), await ports.voiceActivity());
      facts.speech = { output: out('speech.json'), segments: speech.segments.length, speechSec: speech.speechSec };
      await ports.objects.putText(facts.speech.output, JSON.stringify(speech), 'application/json');
    }
  }
  if (hasVideo && videoStream) {
    const posterAt = videoSeconds >= 2 * POSTER_OFFSET_SECONDS ? POSTER_OFFSET_SECONDS : 0;
    await ports.media.capturePoster(local('video.mp4'), local('poster.jpg'), posterAt);
    facts.video = out('video.mp4');
    facts.poster = out('poster.jpg');
    await ports.objects.uploadFile(facts.video, local('video.mp4'), 'video/mp4');
    await ports.objects.uploadFile(facts.poster, local('poster.jpg'), 'image/jpeg');
    Object.assign(facts, displaySize(videoStream), {
      fps: parseFrameRate(videoStream.avg_frame_rate) || parseFrameRate(videoStream.r_frame_rate),
    });
  }
  return mediaFactsSchema.parse(facts);
}

async function probeSource(media: MediaToolkit, sourcePath: string): Promise<string> {
  try {
    return await media.probe(sourcePath);
  } catch (error) {
    if (!(error instanceof MediaToolError) || error.timedOut) throw error;
    throw new UnsupportedMediaError(
      `The file is not a video or audio file we can read: ffprobe could not open it (${error.detail}). ${UPLOAD_HINT}`,
      { cause: error },
    );
  }
}

/**
 * The container ffprobe found must be one we accept and fit the file's extension: a ".mp4"
 * that holds MPEG program stream data (or anything else) is refused, not opened as what it is.
 */
function assertAcceptedContainer(report: ProbeReport, extension: string): AcceptedContainer {
  const found = report.format?.format_name ?? 'unknown';
  const container = acceptedContainerOf(found);
  const expected = containersForExtension(extension);
  if (!container || !expected.includes(container)) {
    const named = extension ? `named ${extension} ` : '';
    throw new UnsupportedMediaError(
      `The file is not a video or audio file we can read: it is ${named}but holds '${found}' data, ` +
        `not ${expected.map((c) => c.label).join(' or ')}. ${UPLOAD_HINT}`,
    );
  }
  return container;
}

/** The longest the container or any of its streams says it lasts. */
function declaredLength(report: ProbeReport): number {
  return Math.max(
    declaredDuration(report),
    ...report.streams.map((stream) => Number.parseFloat(String(stream.duration ?? 0)) || 0),
  );
}

function assertWithinDurationCap(report: ProbeReport, maxSeconds: number): void {
  const declared = declaredLength(report);
  if (declared > maxSeconds) throw tooLong(declared, maxSeconds);
}

function tooLong(seconds: number, maxSeconds: number): UnsupportedMediaError {
  return new UnsupportedMediaError(
    `The media lasts ${formatDuration(seconds)}, longer than the ${formatDuration(maxSeconds)} this deployment ` +
      `takes. Upload a shorter clip, or split it into parts.`,
  );
}

/** 18000 -> "5 h", 5400 -> "1 h 30 min", 90 -> "1 min 30 s". */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const parts = [hours ? `${hours} h` : '', minutes ? `${minutes} min` : '', rest && !hours ? `${rest} s` : ''];
  return parts.filter(Boolean).join(' ') || '0 s';
}

/** How long an output really plays, which a damaged source's header may overstate. */
async function playableSeconds(media: MediaToolkit, outputPath: string): Promise<number> {
  return declaredDuration(parseProbeReport(await media.probe(outputPath)));
}

/** An upload's own duration limits (the bot's, for contributions), whatever its sender declared. */
export function assertWithinLimits(seconds: number, limits: PipelineInput['limits']): void {
  if (!limits || !(seconds > 0)) return;
  const shown = `${seconds.toFixed(1)} s`;
  if (limits.maxDurationSec !== undefined && seconds > limits.maxDurationSec + 0.5) {
    throw new MediaTooLongError(
      `The video lasts ${shown}; this upload may last at most ${limits.maxDurationSec} s. Trim it and upload it again.`,
    );
  }
  if (limits.minDurationSec !== undefined && seconds < limits.minDurationSec - 0.25) {
    throw new MediaTooShortError(
      `The video lasts ${shown}; this upload must last at least ${limits.minDurationSec} s. Record a longer one.`,
    );
  }
}

/** Truncated uploads decode to much less than the container promises, or to almost nothing. */
function assertComplete(playable: number, report: ProbeReport): void {
  const declared = declaredDuration(report);
  const seconds = (value: number) => `${value.toFixed(2)} s`;
  if (playable < MIN_PLAYABLE_SECONDS) {
    throw new UnsupportedMediaError(
      `The file holds only ${seconds(playable)} of playable media (${describeStreams(report)}): ` +
        `it looks cut off or damaged. Upload the complete file again.`,
    );
  }
  if (declared > 0 && playable < declared * 0.8 && declared - playable > 1) {
    throw new UnsupportedMediaError(
      `The file stops playing at ${seconds(playable)} although it says it lasts ${seconds(declared)}: ` +
        `it looks cut off. Upload the complete file again.`,
    );
  }
}

/** Media tool failures become errors that tell the user what to do. */
function explainToolFailure(error: unknown): unknown {
  if (!(error instanceof MediaToolError)) return error;
  if (error.timedOut) {
    return new UnsupportedMediaError(
      `Converting the video took longer than this step allows (${error.detail}). ` +
        `Upload a shorter video, or split it into parts.`,
      { cause: error },
    );
  }
  return new UnsupportedMediaError(
    `The video could not be converted: ${error.tool} said "${error.detail}". ` +
      `The file may be damaged; export it again as MP4 and upload it.`,
    { cause: error },
  );
}
