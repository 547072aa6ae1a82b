import {
  GetTranscriptionJobCommand,
  StartTranscriptionJobCommand,
  TranscribeClient,
  type LanguageCode,
} from '@aws-sdk/client-transcribe';
import type { AsyncJobStatus, SpeechToText } from '../ports';

let client: TranscribeClient | undefined;

/** One client per bundle; AWS_ENDPOINT_URL_TRANSCRIBE points it at the local stand-in. */
export function transcribeClient(): TranscribeClient {
  return (client ??= new TranscribeClient({}));
}

export class AwsSpeechToText implements SpeechToText {
  /**
   * @param dataAccessRoleArn the role Transcribe assumes to read queued media and write the
   * transcript. With it, a job over the account's concurrency quota waits in Transcribe's own
   * queue (deferred execution) instead of failing with LimitExceededException.
   */
  constructor(
    private readonly transcribe: TranscribeClient,
    private readonly dataAccessRoleArn?: string,
  ) {}

  async start(request: Parameters<SpeechToText['start']>[0]): Promise<void> {
    try {
      await this.transcribe.send(
        new StartTranscriptionJobCommand({
          TranscriptionJobName: request.jobName,
          Media: { MediaFileUri: `s3://${request.media.bucket}/${request.media.key}` },
          MediaFormat: 'wav',
          OutputBucketName: request.output.bucket,
          OutputKey: request.output.key,
          Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: request.maxSpeakers },
          ...(this.dataAccessRoleArn
            ? { JobExecutionSettings: { AllowDeferredExecution: true, DataAccessRoleArn: this.dataAccessRoleArn } }
            : {}),
          ...(request.languageCode
            ? { LanguageCode: request.languageCode as LanguageCode }
            : { IdentifyLanguage: true }),
        }),
      );
    } catch (error) {
      // The job name is derived from the jobId: a conflict means a retried start already made it.
      if ((error as Error).name === 'ConflictException') return;
      throw error;
    }
  }

  async status(jobName: string): Promise<AsyncJobStatus> {
    const { TranscriptionJob: job } = await this.transcribe.send(
      new GetTranscriptionJobCommand({ TranscriptionJobName: jobName }),
    );
    switch (job?.TranscriptionJobStatus) {
      case 'COMPLETED':
        return { state: 'succeeded' };
      case 'FAILED':
        return { state: 'failed', reason: job.FailureReason ?? 'no reason given' };
      default:
        return { state: 'running' };
    }
  }
}
