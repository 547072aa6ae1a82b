import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { FfmpegMediaToolkit } from '../lib/adapters/ffmpeg-media-toolkit';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { SileroVoiceActivityDetector } from '../lib/adapters/silero-vad';
import { lazyConfig } from '../lib/config';
import { pipelineInputSchema } from '../lib/contracts/pipeline';
import { extractMedia } from '../lib/media/extract-media';
import { taskHandler } from '../lib/middleware/task-handler';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

/** Loaded once per container, on the first job with audio. */
let voiceActivity: Promise<SileroVoiceActivityDetector> | undefined;

/** A failed load is not kept: the next invocation tries again. */
function loadVoiceActivity(modelPath: string): Promise<SileroVoiceActivityDetector> {
  return SileroVoiceActivityDetector.load(modelPath).catch((error: unknown) => {
    voiceActivity = undefined;
    throw error;
  });
}

/** Leaves time to record the failed stage after ffmpeg is killed at the deadline. */
const CLEANUP_MARGIN_MS = 15_000;

export const handler = taskHandler(pipelineInputSchema, async (input, context) => {
  const {
    JOBS_TABLE,
    PROCESSED_BUCKET,
    FFMPEG_PATH,
    FFPROBE_PATH,
    FFMPEG_TIMEOUT_SECONDS,
    MAX_MEDIA_SECONDS,
    VAD_MODEL_PATH,
  } = config();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - CLEANUP_MARGIN_MS;
  const media = new FfmpegMediaToolkit({
    ffmpegPath: FFMPEG_PATH,
    ffprobePath: FFPROBE_PATH,
    timeoutMs: () => Math.min(FFMPEG_TIMEOUT_SECONDS * 1000, deadline - Date.now()),
    maxOutputSeconds: MAX_MEDIA_SECONDS + 1,
  });
  return extractMedia(
    input,
    {
      jobs: new DynamoDbJobRepository(dynamoDbClient(), JOBS_TABLE),
      objects: new S3ObjectStore(s3Client()),
      media,
      clock: systemClock,
      voiceActivity: () => (voiceActivity ??= loadVoiceActivity(VAD_MODEL_PATH)),
    },
    { processedBucket: PROCESSED_BUCKET, maxMediaSeconds: MAX_MEDIA_SECONDS },
  );
});
