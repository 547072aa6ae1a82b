import { FACE_SIZE } from '../../../functions/lib/active-speaker/active-speaker-model';
import { cropFace, type GreyFrame } from '../../../functions/lib/active-speaker/face-crop';
import { faceTrackFrames } from '../../../functions/lib/active-speaker/face-track';
import type { FacesDocument } from '../../../functions/lib/contracts/documents';

type Detection = FacesDocument['detections'][number];
const detection = (time: number, left: number, top = 0.3, size = 0.2, trackId = 'face-1'): Detection => ({
  time,
  trackId,
  box: { left, top, width: size, height: size },
  confidence: 0.99,
});

function facesOf(detections: Detection[], frameIntervalSec = 0.2): FacesDocument {
  const ids = [...new Set(detections.map((d) => d.trackId))];
  return {
    version: 1,
    frameIntervalSec,
    durationSec: 4,
    detections,
    tracks: ids.map((trackId) => {
      const times = detections.filter((d) => d.trackId === trackId).map((d) => d.time);
      return { trackId, firstSeen: Math.min(...times), lastSeen: Math.max(...times), detections: times.length };
    }),
  };
}

const FRAME = { width: 400, height: 200, count: 100 };

describe('face tracks on every frame', () => {
  it('runs from half a sample before the first detection to half one after the last, boxes in between interpolated', () => {
    // Prepare: Rekognition saw the face at 1.0 s and 2.0 s, moving right by 0.1 of the width
    const faces = facesOf([detection(1, 0.1), detection(2, 0.2)], 0.2);

    // Act
    const [track] = faceTrackFrames(faces, FRAME);

    // Assess: frames 23 (0.92 s, from 0.9) to 53 (2.12 s, from 2.1)
    expect(track!.firstFrame).toBe(23);
    expect(track!.squares).toHaveLength(53 - 23 + 1);
    const at = (frame: number) => track!.squares[frame - track!.firstFrame]!;
    // Frame 37 is 1.48 s: left 0.148, so the centre is (0.148 + 0.1) x 400 = 99.2 px; the box is 80 x 40 px
    expect(at(37).cx).toBeCloseTo(99.2, 5);
    expect(at(37).cy).toBeCloseTo(80, 5);
    expect(at(37).half).toBeCloseTo(40, 5);
    // At the ends the median window is cut short, so the held first and last boxes pull only a little.
    expect(at(23).cx).toBeGreaterThanOrEqual(80);
    expect(at(23).cx).toBeLessThan(82);
    expect(at(53).cx).toBeLessThanOrEqual(120 + 1e-9);
    expect(at(53).cx).toBeGreaterThan(118);
  });

  it('smooths a one-frame jump of the box away with the median over 13 frames', () => {
    // Prepare: a steady face, one detection far off
    const steady = [0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32].map((time) => detection(time, 0.4));
    steady[4] = detection(0.16, 0.7);
    const faces = facesOf(steady, 0.04);

    // Act
    const [track] = faceTrackFrames(faces, FRAME);

    // Assess
    expect(track!.squares.map((square) => square.cx)).toEqual(track!.squares.map(() => 200));
  });

  it('ends a track with the video even when its last sample reaches past it', () => {
    const [track] = faceTrackFrames(facesOf([detection(3.9, 0.1), detection(4.0, 0.1)]), { ...FRAME, count: 99 });
    expect(track!.firstFrame + track!.squares.length).toBe(99);
  });
});

describe("LR-ASD's face crop", () => {
  /** A black frame with the face box painted white. */
  function frameWithFace(width: number, height: number, face: { x: number; y: number; size: number }): GreyFrame {
    const pixels = new Uint8Array(width * height);
    for (let y = face.y; y < face.y + face.size; y++)
      pixels.fill(255, y * width + face.x, y * width + face.x + face.size);
    return { width, height, pixels };
  }

  it('keeps the face over the top of the crop and what is below it (the mouth) at the bottom', () => {
    // Prepare: a 100 px face centred at (200, 150)
    const frame = frameWithFace(400, 400, { x: 150, y: 100, size: 100 });
    const out = new Uint8Array(FACE_SIZE * FACE_SIZE);

    // Act
    cropFace(frame, { cx: 200, cy: 150, half: 50 }, out, 0);

    // Assess: the crop is 280 px tall from the face's top, resized to 224, centre 112 kept:
    // kept rows 0..103 are face (resized rows 56..159), the rest is below the face.
    const row = (index: number) => [...out.subarray(index * FACE_SIZE, (index + 1) * FACE_SIZE)];
    expect(row(0).every((value) => value === 255)).toBe(true);
    expect(row(102).every((value) => value === 255)).toBe(true);
    expect(row(106).every((value) => value === 0)).toBe(true);
    expect(row(111).every((value) => value === 0)).toBe(true);
  });

  it('fills what lies beyond the frame with grey 110', () => {
    // Prepare: a white frame, and a face whose crop reaches 50 px past the left edge
    const frame: GreyFrame = { width: 400, height: 400, pixels: new Uint8Array(400 * 400).fill(255) };
    const out = new Uint8Array(FACE_SIZE * FACE_SIZE);

    // Act
    cropFace(frame, { cx: 20, cy: 200, half: 50 }, out, 0);

    // Assess: 140 px of crop make 224, so kept column j samples x = (56.5 + j) x 0.625 - 50.5: left of -1 up to
    // j = 22, blended with the frame's first column at 23 and 24, inside from 25 on
    expect([...out.subarray(0, 23)].every((value) => value === 110)).toBe(true);
    expect([...out.subarray(25, FACE_SIZE)].every((value) => value === 255)).toBe(true);
  });
});
