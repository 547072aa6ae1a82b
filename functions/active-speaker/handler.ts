import { s3Client } from '../lib/adapters/aws-clients';
import { FfmpegGreyFrames } from '../lib/adapters/ffmpeg-grey-frames';
import { OnnxLrAsdModel } from '../lib/adapters/lr-asd-onnx';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { detectActiveSpeakers } from '../lib/active-speaker/detect-active-speakers';
import { lazyConfig } from '../lib/config';
import { activeSpeakerTaskInputSchema } from '../lib/contracts/pipeline';
import { ActiveSpeakerDetectionError } from '../lib/errors';
import { taskHandler } from '../lib/middleware/task-handler';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

/** Loaded once per container, on the first job with faces and speech. */
let model: Promise<OnnxLrAsdModel> | undefined;

function loadModel(modelPath: string): Promise<OnnxLrAsdModel> {
  model ??= OnnxLrAsdModel.load(modelPath).catch((error: unknown) => {
    model = undefined;
    throw error;
  });
  return model;
}

/** Leaves time to clean up and answer after the last window. */
const CLEANUP_MARGIN_MS = 15_000;

export const handler = taskHandler(activeSpeakerTaskInputSchema, async (input, context) => {
  const { PROCESSED_BUCKET, FFMPEG_PATH, LR_ASD_MODEL_PATH, FFMPEG_TIMEOUT_SECONDS } = config();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - CLEANUP_MARGIN_MS;
  return detectActiveSpeakers(
    input,
    {
      objects: new S3ObjectStore(s3Client()),
      model: () => loadModel(LR_ASD_MODEL_PATH),
      frames: (videoPath, size) =>
        new FfmpegGreyFrames({
          ffmpegPath: FFMPEG_PATH,
          videoPath,
          ...size,
          timeoutMs: () => Math.min(FFMPEG_TIMEOUT_SECONDS * 1000, deadline - Date.now()),
        }),
      checkDeadline: () => {
        if (Date.now() > deadline) {
          throw new ActiveSpeakerDetectionError(
            'Active speaker detection needs longer than this step allows for this video, so speakers are matched without it. ' +
              'Upload a shorter video, or raise the active-speaker function timeout.',
          );
        }
      },
    },
    { processedBucket: PROCESSED_BUCKET },
  );
});
