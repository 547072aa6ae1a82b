import { SourceObjectMissingError } from '../../../functions/lib/errors';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Ref } from '../../../functions/lib/contracts/common';
import type {
  ActiveSpeakersDocument,
  FacesDocument,
  LipReadingDocument,
  SpeechDocument,
} from '../../../functions/lib/contracts/documents';
import type { JobStatus, JobSummary, StageRecord } from '../../../functions/lib/contracts/job';
import type { FuseInput, Stage } from '../../../functions/lib/contracts/pipeline';
import { resultDocumentSchema, type ResultDocument } from '../../../functions/lib/contracts/documents';
import { fuseJob } from '../../../functions/lib/fuse/fuse-job';
import type { JobRepository, ObjectStore } from '../../../functions/lib/ports';
import { REPO_ROOT } from '../../support/paths';

/** Spoken word: [text, start, end, confidence, speaker]; a bare string is punctuation. */
export type SpokenItem = [string, number, number, number, string?] | string;

/** Amazon Transcribe's batch output, numbers as strings, as the service writes it. */
export function transcribeJson(items: SpokenItem[]): string {
  const outputItems = items.map((item, id) =>
    typeof item === 'string'
      ? { id, type: 'punctuation', alternatives: [{ confidence: '0.0', content: item }] }
      : {
          id,
          type: 'pronunciation',
          start_time: item[1].toFixed(3),
          end_time: item[2].toFixed(3),
          speaker_label: item[4] ?? 'spk_0',
          alternatives: [{ confidence: item[3].toFixed(4), content: item[0] }],
        },
  );
  const spoken = items.filter((item) => typeof item !== 'string');
  const segments: Array<{ start_time: string; end_time: string; speaker_label: string }> = [];
  for (const [, start, end, , speaker = 'spk_0'] of spoken) {
    const last = segments.at(-1);
    if (last && last.speaker_label === speaker) last.end_time = end.toFixed(3);
    else segments.push({ start_time: start.toFixed(3), end_time: end.toFixed(3), speaker_label: speaker });
  }
  const transcript = items
    .map((item) => (typeof item === 'string' ? item : ` ${item[0]}`))
    .join('')
    .trim();
  return JSON.stringify({
    jobName: 'gorggle-test',
    accountId: '111122223333',
    status: 'COMPLETED',
    results: {
      transcripts: [{ transcript }],
      speaker_labels: {
        channel_label: 'ch_0',
        speakers: new Set(segments.map((segment) => segment.speaker_label)).size,
        segments: segments.map((segment) => ({ ...segment, items: [] })),
      },
      items: outputItems,
      audio_segments: [],
    },
  });
}

/** Visual word: [text, start, end, confidence]. */
export type SeenWord = [string, number, number, number];

export function lipReadingDocument(
  segments: SeenWord[][],
  extra: Partial<Pick<LipReadingDocument, 'mouthOpening' | 'reason'>> = {},
): LipReadingDocument {
  return {
    version: 1,
    model: { name: 'test-vsr', mode: 'vsr' },
    ...extra,
    segments: segments.map((words) => ({
      start: words[0]?.[1] ?? 0,
      end: words.at(-1)?.[2] ?? 0,
      text: words.map(([text]) => text).join(' '),
      confidence: words.reduce((sum, [, , , confidence]) => sum + confidence, 0) / Math.max(words.length, 1),
      words: words.map(([text, start, end, confidence]) => ({ text, start, end, confidence })),
    })),
  };
}

export interface TrackSpec {
  trackId: string;
  from: number;
  to: number;
  left: number;
  /** How far the mouth opens and closes, relative to the face height. */
  mouthSwing?: number;
  /** When the mouth moves (default: all the time the face is on screen). */
  talking?: [number, number];
}

/** faces.json with one detection per 0.2 s for each track while it is on screen. */
export function facesDocument(tracks: TrackSpec[], durationSec = 10): FacesDocument {
  const detections: FacesDocument['detections'] = [];
  for (const track of tracks) {
    for (let step = 0; track.from + step * 0.2 <= track.to + 1e-9; step++) {
      const time = Number((track.from + step * 0.2).toFixed(3));
      const [talkFrom, talkTo] = track.talking ?? [track.from, track.to];
      const talks = time >= talkFrom && time <= talkTo;
      const opening = 0.05 + (talks ? (step % 2) * (track.mouthSwing ?? 0) : 0);
      detections.push({
        time,
        trackId: track.trackId,
        box: { left: track.left, top: 0.2, width: 0.3, height: 0.5 },
        confidence: 0.99,
        mouth: {
          left: { x: track.left + 0.1, y: 0.55 },
          right: { x: track.left + 0.2, y: 0.55 },
          up: { x: track.left + 0.15, y: 0.54 },
          down: { x: track.left + 0.15, y: 0.54 + opening * 0.5 },
        },
      });
    }
  }
  detections.sort((a, b) => a.time - b.time);
  return {
    version: 1,
    frameIntervalSec: 0.2,
    durationSec,
    detections,
    tracks: tracks.map((track) => ({
      trackId: track.trackId,
      firstSeen: track.from,
      lastSeen: track.to,
      detections: detections.filter((detection) => detection.trackId === track.trackId).length,
    })),
  };
}

export interface ScoredTrack {
  trackId: string;
  /** When the face speaks: logit `speaking` there, `listening` elsewhere. */
  speaks: Array<[number, number]>;
  from?: number;
  to: number;
  speaking?: number;
  listening?: number;
}

/** speakers.json at 25 fps: each track scores `speaking` (default 2) while it speaks, `listening` (-2) otherwise. */
export function activeSpeakersDocument(tracks: ScoredTrack[]): ActiveSpeakersDocument {
  return {
    version: 1,
    model: { name: 'lr-asd', weights: 'pretrain_AVA', sha256: '85e6c77f' },
    fps: 25,
    tracks: tracks.map((track) => {
      const firstFrame = Math.round((track.from ?? 0) * 25);
      const frames = Math.round(track.to * 25) - firstFrame;
      return {
        trackId: track.trackId,
        firstFrame,
        scores: Array.from({ length: frames }, (_, index) => {
          const time = (firstFrame + index + 0.5) / 25;
          const speaks = track.speaks.some(([from, to]) => time >= from && time < to);
          return speaks ? (track.speaking ?? 2) : (track.listening ?? -2);
        }),
      };
    }),
  };
}

/** speech.json with the given speech intervals. */
export function speechDocument(segments: Array<[number, number]>, durationSec = 3): SpeechDocument {
  return {
    version: 1,
    model: { name: 'silero-vad', sha256: '1a153a22' },
    sampleRate: 16000,
    durationSec,
    settings: { threshold: 0.5, minSpeechSec: 0.25, minSilenceSec: 0.1, padSec: 0.03 },
    segments: segments.map(([start, end]) => ({ start, end })),
    speechSec: segments.reduce((sum, [start, end]) => sum + end - start, 0),
  };
}

/** The event with the faces branch's active-speaker step as given (output at jobs/<id>/speakers.json). */
export function withActiveSpeakers(
  event: FuseInput,
  status: 'succeeded' | 'failed' | 'skipped' = 'succeeded',
  extra: { reason?: string; error?: { name: string; message: string } } = {},
): FuseInput {
  const output = { bucket: 'gorggle-processed', key: `jobs/${event.job.jobId}/speakers.json` };
  return {
    ...event,
    branches: event.branches.map((branch) =>
      branch.modality === 'faces'
        ? { ...branch, activeSpeakers: { status, ...(status === 'succeeded' ? { output } : {}), ...extra } }
        : branch,
    ),
  };
}

/** The event with extract's voice activity (output at jobs/<id>/speech.json). */
export function withSpeech(event: FuseInput, segments: number, speechSec: number): FuseInput {
  const output = { bucket: 'gorggle-processed', key: `jobs/${event.job.jobId}/speech.json` };
  return { ...event, job: { ...event.job, media: { ...event.job.media, speech: { output, segments, speechSec } } } };
}

export function loadEvent<T = FuseInput>(relativePath: string): T {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', relativePath), 'utf8')) as T;
}

/** The S3 object a branch of the sample event points at. */
export function branchOutput(event: FuseInput, modality: FuseInput['branches'][number]['modality']): S3Ref {
  const output = event.branches.find((branch) => branch.modality === modality)?.output;
  if (!output) throw new Error(`the event has no ${modality} output`);
  return output;
}

const refKey = (ref: S3Ref) => `${ref.bucket}/${ref.key}`;

/** An object store held in memory: what the fuse use case reads and writes. */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: string; contentType: string }>();

  seed(ref: S3Ref, body: string | object): this {
    this.objects.set(refKey(ref), {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      contentType: 'application/json',
    });
    return this;
  }

  read(bucket: string, key: string): string {
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) throw new Error(`nothing was written to s3://${bucket}/${key}`);
    return object.body;
  }

  async getText(ref: S3Ref): Promise<string> {
    const object = this.objects.get(refKey(ref));
    if (!object) throw new SourceObjectMissingError(`no object at s3://${ref.bucket}/${ref.key}`);
    return object.body;
  }

  async putText(ref: S3Ref, body: string, contentType: string): Promise<void> {
    this.objects.set(refKey(ref), { body, contentType });
  }

  head(): never {
    throw new Error('fuse does not head objects');
  }
  download(): never {
    throw new Error('fuse does not download objects');
  }
  uploadFile(): never {
    throw new Error('fuse does not upload files');
  }
  getStream(): never {
    throw new Error('fuse does not stream objects');
  }
}

/** Records what the use case tells the jobs table. */
export class RecordingJobRepository implements JobRepository {
  readonly stages: Array<{ jobId: string; stage: Stage; record: StageRecord }> = [];
  finished?: { jobId: string; status: Extract<JobStatus, 'COMPLETED' | 'DEGRADED'>; summary: JobSummary };

  async updateStage(jobId: string, stage: Stage, record: StageRecord): Promise<void> {
    this.stages.push({ jobId, stage, record });
  }
  async finish(jobId: string, status: Extract<JobStatus, 'COMPLETED' | 'DEGRADED'>, summary: JobSummary) {
    this.finished = { jobId, status, summary };
  }
  setExecution(): never {
    throw new Error('fuse does not set executions');
  }
  fail(): never {
    throw new Error('fuse leaves FAILED to record-failure');
  }
}

export const PROCESSED_BUCKET = 'gorggle-processed';
const fixedClock = { now: () => new Date('2025-06-01T10:01:00.000Z') };

/** What one fuse run reads: each document is seeded where the event says it is. */
export interface FuseScenario {
  event: FuseInput;
  transcribe?: string;
  faces?: object;
  lipReading?: object;
  /** speakers.json, read when the event's faces branch names it (withActiveSpeakers). */
  activeSpeakers?: object;
  /** speech.json, read when the event's media names it (withSpeech). */
  speech?: object;
}

/** Runs the fuse use case over an in-memory store and returns what it wrote. */
export async function runFuse({ event, transcribe, faces, lipReading, activeSpeakers, speech }: FuseScenario) {
  const store = new InMemoryObjectStore();
  if (transcribe !== undefined) store.seed(branchOutput(event, 'transcribe'), transcribe);
  if (faces) store.seed(branchOutput(event, 'faces'), faces);
  if (lipReading) store.seed(branchOutput(event, 'lipreading'), lipReading);
  const speakersRef = event.branches.find((branch) => branch.modality === 'faces')?.activeSpeakers?.output;
  if (activeSpeakers && speakersRef) store.seed(speakersRef, activeSpeakers);
  const speechRef = event.job.media.speech?.output;
  if (speech && speechRef) store.seed(speechRef, speech);
  const jobs = new RecordingJobRepository();
  const outcome = await fuseJob(event, { store, jobs, clock: fixedClock }, { processedBucket: PROCESSED_BUCKET });
  const file = (name: string) => store.read(PROCESSED_BUCKET, `jobs/${event.job.jobId}/${name}`);
  const result: ResultDocument = resultDocumentSchema.parse(JSON.parse(file('result.json')));
  return { outcome, jobs, result, file };
}
