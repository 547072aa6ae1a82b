/**
 * The Rekognition stand-in runs its detector once a second and follows faces by their
 * landmarks in between. On GRID clips the followed faces must be where detecting on every
 * sampled frame puts them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultMediaTools } from '../../scripts/local-stack/emulators/media';
import {
  detectFacesInVideo,
  FaceFollower,
  type FaceDetection,
} from '../../scripts/local-stack/emulators/rekognition/detect-video';
import { createFaceFinder, type FaceFinder } from '../../scripts/local-stack/emulators/rekognition/face-finder';
import type { FoundFace, RgbFrame } from '../../scripts/local-stack/emulators/rekognition/face-record';
import { gridAvailable, gridClip } from '../support/paths';
import { ffmpeg } from './support/local-aws';

type Box = FaceDetection['Face']['BoundingBox'];

function intersectionOverUnion(a: Box, b: Box): number {
  const width = Math.min(a.Left + a.Width, b.Left + b.Width) - Math.max(a.Left, b.Left);
  const height = Math.min(a.Top + a.Height, b.Top + b.Height) - Math.max(a.Top, b.Top);
  const overlap = Math.max(0, width) * Math.max(0, height);
  return overlap / (a.Width * a.Height + b.Width * b.Height - overlap);
}

/** A finder that counts its calls and answers from a script. */
function scriptedFinder(found: FoundFace[], followed: Array<FoundFace | null>) {
  const calls = { find: 0, follow: 0 };
  const finder: FaceFinder = {
    find: () => {
      calls.find++;
      return Promise.resolve(found);
    },
    follow: (_frame, faces) => {
      calls.follow++;
      return Promise.resolve(faces.map((_, i) => followed[i] ?? null));
    },
  };
  return { finder, calls };
}

const frame: RgbFrame = { width: 4, height: 4, data: new Uint8Array(48) };
const face = (x: number): FoundFace => ({
  box: { x, y: 0, width: 2, height: 2 },
  score: 0.9,
  landmarks: new Float32Array(136),
});

describe('FaceFollower', () => {
  it('detects on the first frame and then every detectEvery frames, following in between', async () => {
    // Prepare
    const { finder, calls } = scriptedFinder([face(1)], [face(1)]);
    const follower = new FaceFollower(finder, 3);

    // Act
    for (let i = 0; i < 7; i++) await follower.next(frame);

    // Assess: detections on frames 0, 3 and 6.
    expect(calls).toEqual({ find: 3, follow: 4 });
  });

  it('detects at once on the frame where a followed face is lost', async () => {
    // Prepare
    const { finder, calls } = scriptedFinder([face(1), face(2)], [face(1), null]);
    const follower = new FaceFollower(finder, 5);

    // Act
    await follower.next(frame);
    const second = await follower.next(frame);

    // Assess
    expect(calls).toEqual({ find: 2, follow: 1 });
    expect(second).toHaveLength(2);
  });
});

(gridAvailable() ? describe : describe.skip)('following faces on GRID clips', () => {
  let finder: FaceFinder;
  let workDir: string;
  beforeAll(async () => {
    finder = await createFaceFinder();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-face-following-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it.each(['bbaf2n.mpg', 'lrwp9a.mpg'])(
    'frames the face in %s as detecting on every sampled frame does',
    async (clip) => {
      // Prepare: H.264 in MP4, as extract writes it.
      const video = path.join(workDir, `${clip}.mp4`);
      ffmpeg(['-i', gridClip(clip), '-r', '25', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-an', video]);
      const options = { tools: defaultMediaTools(), finder, attributes: 'DEFAULT' as const };

      // Act
      const everyFrame = await detectFacesInVideo(video, { ...options, detectEvery: 1 });
      const followed = await detectFacesInVideo(video, options);

      // Assess: one face per sampled frame either way, in nearly the same box with the same eyes.
      expect(followed.faces.map((face) => face.Timestamp)).toEqual(everyFrame.faces.map((face) => face.Timestamp));
      followed.faces.forEach((face, i) => {
        const reference = everyFrame.faces[i]?.Face as FaceDetection['Face'];
        expect(intersectionOverUnion(face.Face.BoundingBox, reference.BoundingBox)).toBeGreaterThan(0.8);
        const eye = (detail: FaceDetection['Face']) => detail.Landmarks.find((point) => point.Type === 'eyeLeft');
        const [a, b] = [eye(face.Face), eye(reference)];
        expect(Math.hypot((a?.X ?? 0) - (b?.X ?? 1), (a?.Y ?? 0) - (b?.Y ?? 1))).toBeLessThan(0.02);
      });
    },
    120_000,
  );
});
