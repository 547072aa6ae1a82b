/** Text the CLI and `make local` print about a job: its transcript, modalities and where the files are. */
import path from 'node:path';
import type { ResultDocument } from '../../functions/lib/contracts/documents';
import type { JobRecord } from '../../functions/lib/contracts/job';
import { RESULT_MODALITIES } from '../../functions/lib/fuse/inputs';
import { RESULT_FILES, type JobSnapshot } from './gorggle-client';
import { stageSeconds, type StageProgress } from './stages';
import type { GorggleTarget } from './target';

/** 75.3 -> "01:15.30" */
export function formatClock(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${String(minutes).padStart(2, '0')}:${rest.toFixed(2).padStart(5, '0')}`;
}

const formatRate = (rate: number | undefined) => (rate === undefined ? 'n/a' : rate.toFixed(2));

export function formatTranscript(result: ResultDocument): string[] {
  if (result.segments.length === 0) return [`  (${result.emptyReason ?? 'no speech found'})`];
  const labels = new Map(result.speakers.map((speaker) => [speaker.id, speaker.label]));
  const lines: string[] = [];
  for (const segment of result.segments) {
    const name = labels.get(segment.speaker) ?? 'Unknown speaker';
    const who = segment.face ? `${name} (${segment.face.faceId})` : name;
    lines.push(`  [${formatClock(segment.start)} -> ${formatClock(segment.end)}] ${who}: ${segment.text}`);
    if (segment.audioText && segment.audioText !== segment.text) lines.push(`      audio:  ${segment.audioText}`);
    if (segment.visualText && segment.visualText !== segment.text) lines.push(`      visual: ${segment.visualText}`);
  }
  return lines;
}

export function formatModalities(result: ResultDocument): string[] {
  return RESULT_MODALITIES.map((modality) => {
    const status = result.modalities[modality];
    const why = [status.error && `${status.error.name}: ${status.error.message}`, status.reason].filter(Boolean);
    return `  ${modality.padEnd(14)} ${status.status}${why.length ? `: ${why.join('; ')}` : ''}`;
  });
}

/** Who speaks: each person with their face or "off screen", their voices and the evidence. */
export function formatSpeakers(result: ResultDocument): string[] {
  if (!result.speakers.length) return ['  (none)'];
  return result.speakers.map((speaker) => {
    const where = speaker.onScreen ? `face ${speaker.faceId ?? '?'}` : 'off screen';
    const voices = speaker.voices.length ? `, voice ${speaker.voices.join(' + ')}` : '';
    const score =
      speaker.meanSpeakingScore === undefined ? '' : `, speaking score ${speaker.meanSpeakingScore.toFixed(2)}`;
    return `  ${speaker.id} ${speaker.label}: ${where}${voices}, ${speaker.speakingSec.toFixed(1)} s${score}`;
  });
}

export function formatStages(stages: readonly StageProgress[]): string[] {
  return stages.map((stage) => {
    const seconds = stageSeconds(stage);
    const checks = stage.checks ? `, ${stage.checks} check${stage.checks === 1 ? '' : 's'}` : '';
    const time = seconds === undefined ? '' : ` ${seconds.toFixed(1)} s${checks}`;
    return `  ${stage.stage.padEnd(11)} ${stage.status}${time}${stage.error ? ` (${stage.error})` : ''}`;
  });
}

export interface ReportInput {
  target: GorggleTarget;
  snapshot: JobSnapshot;
  result?: ResultDocument;
  /** Local copies of the result files, when they were downloaded. */
  localFiles?: string[];
  /** Wall time from upload to the terminal state. */
  wallSeconds?: number;
}

export function formatJobReport({ target, snapshot, result, localFiles, wallSeconds }: ReportInput): string {
  const job = snapshot.job;
  const lines: string[] = [];
  const status = job?.status ?? 'UNKNOWN';
  const took = wallSeconds === undefined ? '' : ` in ${wallSeconds.toFixed(1)} s`;
  lines.push(`Job ${snapshot.jobId}: ${status}${took}`);
  if (job) lines.push(`  source    s3://${job.source.bucket}/${job.source.key}`);
  if (snapshot.execution?.status && snapshot.execution.status !== 'SUCCEEDED') {
    lines.push(
      `  execution ${snapshot.execution.status}${snapshot.execution.error ? ` (${snapshot.execution.error})` : ''}`,
    );
  }
  if (job?.error) lines.push(`  error     ${job.error.name}: ${job.error.message}`);
  if (result) {
    lines.push('', 'Transcript:', ...formatTranscript(result));
    const evidence = result.speakerEvidence ? ` (told apart by ${result.speakerEvidence})` : '';
    lines.push('', `Speakers${evidence}:`, ...formatSpeakers(result));
    lines.push('', 'Modalities:', ...formatModalities(result));
    const { wer } = result.metrics;
    lines.push(
      '',
      `Metrics: ${result.metrics.durationSec.toFixed(1)} s of video, ${result.metrics.words} words, ` +
        `${result.metrics.speakers} speaker${result.metrics.speakers === 1 ? '' : 's'}`,
    );
    if (wer) {
      lines.push(
        `  WER       audio ${formatRate(wer.audio)}, visual ${formatRate(wer.visual)}, fused ${formatRate(wer.fused)}`,
      );
    }
  } else if (job?.summary?.degradedReasons?.length) {
    lines.push('', 'Degraded because:', ...job.summary.degradedReasons.map((reason) => `  ${reason}`));
  }
  if (snapshot.stages.some((stage) => stage.status !== 'pending')) {
    lines.push('', 'Stages:', ...formatStages(snapshot.stages));
  }
  if (job && (job.status === 'COMPLETED' || job.status === 'DEGRADED')) {
    lines.push('', 'Results:', `  s3://${target.processedBucket}/jobs/${job.jobId}/ ${RESULT_FILES.join(', ')}`);
    const localDir = localFiles?.length ? path.dirname(localFiles[0] ?? '') : undefined;
    if (localDir) {
      lines.push(`  local copies in ${localDir}/ ${localFiles?.map((file) => path.basename(file)).join(', ')}`);
    }
  }
  if (job?.executionArn) lines.push('', `Execution: ${job.executionArn}`);
  return lines.join('\n');
}

/** The final job as JSON for --json: status, modalities, where the results are. */
export function jobJson(target: GorggleTarget, snapshot: JobSnapshot, result?: ResultDocument) {
  const job = snapshot.job;
  const finished = job && (job.status === 'COMPLETED' || job.status === 'DEGRADED');
  return {
    jobId: snapshot.jobId,
    status: job?.status ?? null,
    source: job?.source ?? null,
    executionArn: job?.executionArn ?? null,
    executionStatus: snapshot.execution?.status ?? null,
    error: job?.error ?? null,
    modalities: result?.modalities ?? null,
    metrics: result?.metrics ?? null,
    transcript: result ? result.segments.map((segment) => segment.text).join(' ') : (job?.summary?.transcript ?? null),
    stages: Object.fromEntries(
      snapshot.stages.map((stage) => [stage.stage, { status: stage.status, seconds: stageSeconds(stage) ?? null }]),
    ),
    results: finished
      ? {
          bucket: target.processedBucket,
          keys: Object.fromEntries(RESULT_FILES.map((file) => [file, `jobs/${snapshot.jobId}/${file}`])),
        }
      : null,
  };
}

export function formatJobLine(job: JobRecord): string {
  const words = job.summary?.words === undefined ? '' : ` ${job.summary.words} words`;
  return `${job.createdAt}  ${job.jobId}  ${job.status.padEnd(9)} ${job.source.key}${words}`;
}
