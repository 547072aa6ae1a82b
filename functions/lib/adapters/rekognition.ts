import {
  GetFaceDetectionCommand,
  RekognitionClient,
  StartFaceDetectionCommand,
  type FaceDetection,
} from '@aws-sdk/client-rekognition';
import type { S3Ref } from '../contracts/common';
import type { FaceDetectionPage, FaceDetector } from '../ports';

let client: RekognitionClient | undefined;

/** One client per bundle; AWS_ENDPOINT_URL_REKOGNITION points it at the local stand-in. */
export function rekognitionClient(): RekognitionClient {
  return (client ??= new RekognitionClient({}));
}

/** The most GetFaceDetection returns per call. */
export const FACE_DETECTION_PAGE_SIZE = 1000;

function toFace(detection: FaceDetection): FaceDetectionPage['faces'][number] | undefined {
  const face = detection.Face;
  const box = face?.BoundingBox;
  if (!face || !box || detection.Timestamp === undefined) return undefined;
  return {
    timestampMs: detection.Timestamp,
    box: { left: box.Left ?? 0, top: box.Top ?? 0, width: box.Width ?? 0, height: box.Height ?? 0 },
    // Rekognition reports percent; the port speaks 0..1.
    confidence: (face.Confidence ?? 0) / 100,
    landmarks: (face.Landmarks ?? []).flatMap((landmark) =>
      landmark.Type && landmark.X !== undefined && landmark.Y !== undefined
        ? [{ type: landmark.Type, x: landmark.X, y: landmark.Y }]
        : [],
    ),
    // In Rekognition's DEFAULT attributes too; the contributor check reads it (0-100).
    ...(face.Quality?.Brightness === undefined ? {} : { brightness: face.Quality.Brightness }),
  };
}

export class RekognitionFaceDetector implements FaceDetector {
  constructor(private readonly rekognition: RekognitionClient) {}

  async start(request: { video: S3Ref; clientRequestToken: string }): Promise<string> {
    const { JobId } = await this.rekognition.send(
      new StartFaceDetectionCommand({
        Video: { S3Object: { Bucket: request.video.bucket, Name: request.video.key } },
        // DEFAULT: boxes, confidence, pose, quality and landmarks, all the branch uses (M11).
        FaceAttributes: 'DEFAULT',
        ClientRequestToken: request.clientRequestToken,
        JobTag: 'gorggle',
      }),
    );
    if (!JobId) throw new Error('StartFaceDetection returned no JobId');
    return JobId;
  }

  async getPage(jobId: string, nextToken?: string): Promise<FaceDetectionPage> {
    const response = await this.rekognition.send(
      new GetFaceDetectionCommand({
        JobId: jobId,
        MaxResults: FACE_DETECTION_PAGE_SIZE,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    const metadata = response.VideoMetadata;
    return {
      status: response.JobStatus ?? 'IN_PROGRESS',
      ...(response.StatusMessage ? { statusMessage: response.StatusMessage } : {}),
      ...(metadata?.DurationMillis !== undefined ? { durationSec: metadata.DurationMillis / 1000 } : {}),
      ...(metadata?.FrameRate !== undefined ? { frameRate: metadata.FrameRate } : {}),
      faces: (response.Faces ?? []).flatMap((detection) => toFace(detection) ?? []),
      ...(response.NextToken ? { nextToken: response.NextToken } : {}),
    };
  }
}
