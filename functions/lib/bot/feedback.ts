import type { JobRecord } from '../contracts/job';
import { facesDocumentSchema, resultDocumentSchema, type FacesDocument } from '../contracts/documents';
import { wordErrorRate } from '../fuse/wer';
import type { Clock } from '../ports';
import { t } from './i18n';
import type { QualityVerdict, Recording, RecordingQuality } from './model';
import type { RecordingQualityStore } from './ports';

export interface FeedbackPorts {
  jobs: { get(jobId: string): Promise<JobRecord | undefined> };
  recordings: RecordingQualityStore;
  /** A job file's text, or undefined when the pipeline did not write it. */
  readJobFile(jobId: string, file: string): Promise<string | undefined>;
  notify(chatId: number, text: string): Promise<void>;
  clock: Clock;
}

export interface FeedbackOptions {
  /** Below this share of sampled frames with a face, a recording has "no face". */
  minFaceRatio: number;
  /** Above this WER against the prompt, it is "the wrong sentence". */
  maxAcceptedWer: number;
  /** Prompt languages the pipeline's speech-to-text language can score. */
  werLanguages: readonly string[];
}

export type FeedbackOutcome =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'already-reviewed'; recordingId: string }
  | { outcome: 'reviewed'; recordingId: string; quality: RecordingQuality };

const ENDED_WELL = new Set(['SUCCEEDED']);

/** contributions/<hash>/<recordingId>.<ext> → recordingId. */
export function recordingIdOfKey(key: string): string | undefined {
  return /^contributions\/[^/]+\/([^/.]+)\.[^/.]+$/.exec(key)?.[1];
}

/** Share of Rekognition's sampled instants at which a face was seen. */
export function faceRatio(faces: FacesDocument): number {
  const seen = new Set(faces.detections.map((detection) => detection.time.toFixed(3))).size;
  if (seen === 0) return 0;
  if (faces.frameIntervalSec <= 0 || faces.durationSec <= 0) return 1;
  const samples = Math.floor(faces.durationSec / faces.frameIntervalSec) + 1;
  return Math.min(1, Math.round((seen / samples) * 1000) / 1000);
}

/**
 * When a contribution's execution ends: score the recording (fused transcript, WER against
 * its prompt, face-found ratio), store the verdict once, and tell the contributor.
 */
export async function reviewContribution(
  execution: { jobId: string; status: string },
  ports: FeedbackPorts,
  options: FeedbackOptions,
): Promise<FeedbackOutcome> {
  const job = await ports.jobs.get(execution.jobId);
  if (!job) return { outcome: 'ignored', reason: `no job row ${execution.jobId}` };
  if (job.kind !== 'contribution') return { outcome: 'ignored', reason: `job ${job.jobId} is an ${job.kind}` };
  const recordingId = recordingIdOfKey(job.source.key);
  const recording = recordingId ? await ports.recordings.get(recordingId) : undefined;
  if (!recordingId || !recording) return { outcome: 'ignored', reason: `no recording for ${job.source.key}` };

  const quality = await assess(job, execution.status, recording, ports, options);
  if (!(await ports.recordings.setQuality(recordingId, quality))) return { outcome: 'already-reviewed', recordingId };
  const params = { prompt: recording.promptText, reason: quality.reason ?? '' };
  // Told after the verdict is stored and marked only once sent: a failed send is retried by
  // EventBridge's next delivery, so a contributor may hear twice but never not at all.
  await ports.notify(recording.chatId, t(recording.language, `quality_${quality.verdict}`, params));
  await ports.recordings.markNotified(recordingId, quality.jobId, ports.clock.now());
  return { outcome: 'reviewed', recordingId, quality };
}

async function assess(
  job: JobRecord,
  executionStatus: string,
  recording: Recording,
  ports: FeedbackPorts,
  options: FeedbackOptions,
): Promise<RecordingQuality> {
  const base = { jobId: job.jobId, jobStatus: job.status, checkedAt: ports.clock.now().toISOString() };
  if (!ENDED_WELL.has(executionStatus) || job.status === 'FAILED') {
    const reason = job.error?.message ?? `the pipeline execution ended ${executionStatus}`;
    const verdict: QualityVerdict = /audio|speech/i.test(reason) ? 'no_speech' : 'failed';
    return { ...base, jobStatus: job.status === 'FAILED' ? 'FAILED' : executionStatus, verdict, reason };
  }
  const resultText = await ports.readJobFile(job.jobId, 'result.json');
  if (!resultText) return { ...base, verdict: 'failed', reason: 'the pipeline wrote no result' };
  const result = resultDocumentSchema.parse(JSON.parse(resultText));
  const transcript = result.segments
    .map((segment) => segment.text)
    .join(' ')
    .trim();
  const facesText =
    result.modalities.faces.status === 'succeeded' ? await ports.readJobFile(job.jobId, 'faces.json') : undefined;
  const ratio = facesText ? faceRatio(facesDocumentSchema.parse(JSON.parse(facesText))) : undefined;
  const scored = recording.kind !== 'calibration' && options.werLanguages.includes(recording.language);
  const wer = scored ? wordErrorRate(recording.promptText, transcript) : undefined;
  const heard = result.modalities.transcribe.status === 'succeeded' && transcript.length > 0;

  let verdict: QualityVerdict = 'accepted';
  if (ratio !== undefined && ratio < options.minFaceRatio) verdict = 'no_face';
  // A calibration video is a tongue and a smile: silence is expected.
  else if (recording.kind !== 'calibration' && !heard) verdict = 'no_speech';
  else if (wer !== undefined && wer > options.maxAcceptedWer) verdict = 'wrong_sentence';
  return {
    ...base,
    verdict,
    transcript,
    ...(wer === undefined ? {} : { wer }),
    ...(ratio === undefined ? {} : { faceRatio: ratio }),
  };
}
