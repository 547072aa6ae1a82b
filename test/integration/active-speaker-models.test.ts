/**
 * The active-speaker step on real inputs: videos made from GRID clips, extracted with the
 * static ffmpeg and Silero VAD, faces found by the local Rekognition stand-in, scored by the
 * converted LR-ASD with onnxruntime-node, decoded by ffmpeg as the Lambda does.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectActiveSpeakers } from '../../functions/lib/active-speaker/detect-active-speakers';
import { FfmpegGreyFrames } from '../../functions/lib/adapters/ffmpeg-grey-frames';
import { OnnxLrAsdModel } from '../../functions/lib/adapters/lr-asd-onnx';
import {
  activeSpeakersDocumentSchema,
  facesDocumentSchema,
  type ActiveSpeakersDocument,
} from '../../functions/lib/contracts/documents';
import { makeTwoSpeakerClip, prepareJob, PROCESSED, TWO_SPEAKER_TOOL } from '../support/active-speaker-scenario';
import { requireBuilt } from '../support/built-artifacts';
import { hasLrAsd, lrAsdOnnx, LR_ASD_WEIGHTS } from '../support/models';
import { FFMPEG_DIR_FOR_TESTS, GRID_DIR, gridClip, gridAvailable } from '../support/paths';

requireBuilt({ 'the converted LR-ASD model (make lr-asd)': hasLrAsd() });
const ready = gridAvailable() && existsSync(TWO_SPEAKER_TOOL);

/** Pairs of GRID clips: the first person speaks 0–3 s on the left, the second 3–6 s on the right. */
const PAIRS: Array<[string, string]> = [
  ['bbaf2n', 'swwp2s'],
  ['lrwp9a', 'sbia1a'],
  ['swiz3n', 'brbk7n'],
];
const FPS = 25;

let scratch: string;
let model: Promise<OnnxLrAsdModel>;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'active-speaker-models-'));
  model = OnnxLrAsdModel.load(lrAsdOnnx());
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function scoreVideo(video: string, jobId: string) {
  const { input, store } = await prepareJob(video, jobId, scratch);
  const step = await detectActiveSpeakers(
    input,
    {
      objects: store,
      model: () => model,
      frames: (videoPath, size) =>
        new FfmpegGreyFrames({
          ffmpegPath: path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg'),
          videoPath,
          ...size,
          timeoutMs: () => 120_000,
        }),
    },
    { processedBucket: PROCESSED, workRoot: scratch },
  );
  expect(step).toMatchObject({ status: 'succeeded' });
  const speakers = activeSpeakersDocumentSchema.parse(JSON.parse(await store.getText(step.output!)));
  const faces = facesDocumentSchema.parse(JSON.parse(await store.getText(input.faces.output!)));
  return { speakers, faces };
}

/** A track's score at `frame`, or null where it was not scored (or not on screen). */
const scoreAt = (track: ActiveSpeakersDocument['tracks'][number], frame: number) =>
  track.scores[frame - track.firstFrame] ?? null;

(ready ? describe : describe.skip)('LR-ASD in the active-speaker step', () => {
  it.each(PAIRS)(
    'scores the speaker above the listener on every speech frame (%s left, then %s right)',
    async (left, right) => {
      // Prepare
      const video = makeTwoSpeakerClip(
        gridClip(`${left}.mpg`),
        gridClip(`${right}.mpg`),
        path.join(scratch, `${left}-${right}.mp4`),
      );

      // Act
      const { speakers, faces } = await scoreVideo(video, `${left}-${right}`);

      // Assess: two faces, told apart by where they sit
      expect(speakers.model).toMatchObject({ name: 'lr-asd', weights: LR_ASD_WEIGHTS });
      expect(speakers.tracks).toHaveLength(2);
      const meanLeft = (trackId: string) => {
        const boxes = faces.detections.filter((detection) => detection.trackId === trackId);
        return boxes.reduce((sum, detection) => sum + detection.box.left, 0) / boxes.length;
      };
      const [leftTrack, rightTrack] = [...speakers.tracks].sort((a, b) => meanLeft(a.trackId) - meanLeft(b.trackId));
      const verdicts = { left: [] as boolean[], right: [] as boolean[] };
      for (let frame = 0; frame < 6 * FPS; frame++) {
        const [l, r] = [scoreAt(leftTrack!, frame), scoreAt(rightTrack!, frame)];
        if (l === null || r === null) continue;
        if (frame < 3 * FPS) verdicts.left.push(l > r);
        else verdicts.right.push(r > l);
      }
      // Each sentence is over a second of speech, and the speaker wins on all of it.
      expect(verdicts.left.length).toBeGreaterThan(FPS);
      expect(verdicts.right.length).toBeGreaterThan(FPS);
      expect(verdicts.left.every(Boolean)).toBe(true);
      expect(verdicts.right.every(Boolean)).toBe(true);
    },
    300_000,
  );

  it('scores a lone GRID speaker as speaking during the words of swwp2s', async () => {
    // Prepare: the aligned words, in frames
    const words = readFileSync(path.join(GRID_DIR, 'swwp2s.align'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, , word]) => word !== 'sil')
      .map(([start, end]) => [Number(start) / 1000, Number(end) / 1000] as const);

    // Act
    const { speakers } = await scoreVideo(gridClip('swwp2s.mpg'), 'swwp2s');

    // Assess
    expect(speakers.tracks).toHaveLength(1);
    const track = speakers.tracks[0]!;
    const scores = words.flatMap(([from, to]) =>
      Array.from({ length: Math.floor(to) - Math.ceil(from) }, (_, offset) => scoreAt(track, Math.ceil(from) + offset)),
    );
    const scored = scores.filter((score): score is number => score !== null);
    expect(scored.length).toBeGreaterThan(0.9 * scores.length);
    expect(scored.filter((score) => score > 0).length).toBeGreaterThanOrEqual(0.9 * scored.length);
    expect(scored.reduce((sum, score) => sum + score, 0) / scored.length).toBeGreaterThan(1);
  }, 300_000);
});
