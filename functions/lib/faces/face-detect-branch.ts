import { createHash } from 'node:crypto';
import type { S3Ref } from '../contracts/common';
import type { BranchOutcome, BranchProvider } from '../branches/run-branch-task';
import { FaceDetectionFailedError } from '../errors';
import type { AnalysedInput } from '../contracts/pipeline';
import type { ConcurrencyGate, FaceDetectionPage, FaceDetector, ObjectStore } from '../ports';
import { buildFacesDocument } from './faces-document';

export interface FaceDetectBranchOptions {
  detector: FaceDetector;
  objects: ObjectStore;
  processedBucket: string;
  /**
   * Rekognition's concurrent-job slots. A job starts detection only with a slot; without one
   * it stays running and asks again at its next check, so a burst queues instead of degrading.
   */
  gate?: ConcurrencyGate;
}

/** Rekognition's answer when the account already runs its quota of video jobs. */
const isQuotaExceeded = (error: unknown) => error instanceof Error && error.name === 'LimitExceededException';

/** A long video has thousands of detections; this bounds a page loop that never ends. */
const MAX_PAGES = 10_000;

export const facesKey = (jobId: string) => `jobs/${jobId}/faces.json`;

/** Rekognition's ClientRequestToken allows 64 of [a-zA-Z0-9_-]: the jobId, or its hash when longer. */
export const faceDetectionToken = (jobId: string) =>
  jobId.length <= 64 ? jobId : createHash('sha256').update(jobId).digest('hex');

/** Reads every page of a finished detection; the first page is already in hand. */
async function remainingFaces(detector: FaceDetector, jobId: string, first: FaceDetectionPage) {
  const faces = [...first.faces];
  let nextToken = first.nextToken;
  for (let pages = 1; nextToken; pages++) {
    if (pages >= MAX_PAGES) throw new Error(`GetFaceDetection for ${jobId} returned more than ${MAX_PAGES} pages`);
    const page = await detector.getPage(jobId, nextToken);
    faces.push(...page.faces);
    nextToken = page.nextToken;
  }
  return faces;
}

export function faceDetectBranch(options: FaceDetectBranchOptions): BranchProvider {
  const { gate } = options;

  /** Starts detection when a slot is free; otherwise the branch keeps waiting in its polling loop. */
  async function startWhenSlotFree(job: AnalysedInput, video: S3Ref): Promise<BranchOutcome> {
    const waiting: BranchOutcome = { status: 'running', facts: { waitingForRekognitionSlot: true } };
    if (gate && !(await gate.acquire(job.jobId))) return waiting;
    try {
      const handle = await options.detector.start({
        video,
        clientRequestToken: faceDetectionToken(job.jobId),
      });
      return { status: 'running', handle, facts: { waitingForRekognitionSlot: false } };
    } catch (error) {
      // Someone else in the account holds the slots this gate does not count: wait as well.
      if (!isQuotaExceeded(error)) throw error;
      await gate?.release(job.jobId);
      return waiting;
    }
  }

  return {
    modality: 'faces',

    async start(job): Promise<BranchOutcome> {
      if (!job.media.hasVideo || !job.media.video) return { status: 'skipped', reason: 'no video stream' };
      return startWhenSlotFree(job, job.media.video);
    },

    async check(job, state): Promise<BranchOutcome> {
      if (!state.handle) {
        if (!job.media.video) {
          throw new FaceDetectionFailedError(
            'The face detection branch has no video to detect faces in; start it again.',
          );
        }
        return startWhenSlotFree(job, job.media.video);
      }
      await gate?.renew(job.jobId);
      const first = await options.detector.getPage(state.handle);
      if (first.status === 'IN_PROGRESS') return { status: 'running' };
      await gate?.release(job.jobId);
      if (first.status === 'FAILED') {
        return {
          status: 'failed',
          error: {
            name: 'FaceDetectionFailedError',
            message:
              `Amazon Rekognition could not detect faces: ${first.statusMessage ?? 'no reason given'}. ` +
              'Check that the video plays and is H.264 in MP4 or MOV, then upload it again.',
          },
        };
      }
      const faces = await remainingFaces(options.detector, state.handle, first);
      const document = buildFacesDocument(faces, first.durationSec ?? job.media.durationSec);
      const output: S3Ref = { bucket: options.processedBucket, key: facesKey(job.jobId) };
      await options.objects.putText(output, JSON.stringify(document), 'application/json');
      return {
        status: 'succeeded',
        output,
        facts: { faceDetections: document.detections.length, faceTracks: document.tracks.length },
      };
    },
  };
}
