import type { S3Ref } from '../contracts/common';
import type { AnalysedInput } from '../contracts/pipeline';
import type { BranchOutcome, BranchProvider } from '../branches/run-branch-task';
import type { SpeechToText } from '../ports';

export interface TranscribeBranchOptions {
  speech: SpeechToText;
  processedBucket: string;
  /** A Transcribe language code such as en-US, or 'auto' to let Transcribe identify it. */
  language: string;
  maxSpeakers: number;
}

/** Transcribe job names allow [0-9a-zA-Z._-]; jobIds already fit, so the name maps back to the job. */
export const transcriptionJobName = (jobId: string) => `gorggle-${jobId}`;

export const transcriptKey = (jobId: string) => `jobs/${jobId}/transcribe.json`;

export function transcribeBranch(options: TranscribeBranchOptions): BranchProvider {
  const output = (job: AnalysedInput): S3Ref => ({ bucket: options.processedBucket, key: transcriptKey(job.jobId) });

  return {
    modality: 'transcribe',

    async start(job): Promise<BranchOutcome> {
      if (!job.media.hasAudio || !job.media.audio) return { status: 'skipped', reason: 'no audio stream' };
      const jobName = transcriptionJobName(job.jobId);
      // An upload may name its own language (the bot's recordings do: he-IL for Hebrew).
      const language = job.language ?? options.language;
      await options.speech.start({
        jobName,
        media: job.media.audio,
        output: output(job),
        ...(language === 'auto' ? {} : { languageCode: language }),
        maxSpeakers: options.maxSpeakers,
      });
      return { status: 'running', handle: jobName };
    },

    async check(job, state): Promise<BranchOutcome> {
      const status = await options.speech.status(state.handle ?? transcriptionJobName(job.jobId));
      switch (status.state) {
        case 'running':
          return { status: 'running' };
        case 'succeeded':
          return { status: 'succeeded', output: output(job) };
        case 'failed':
          return {
            status: 'failed',
            error: {
              name: 'TranscriptionFailedError',
              message:
                `Amazon Transcribe could not transcribe the audio: ${status.reason}. ` +
                'Check that the video has an audible speech track in a supported language, then upload it again.',
            },
          };
      }
    },
  };
}
