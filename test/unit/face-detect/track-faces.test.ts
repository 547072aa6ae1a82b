import { assignTracks, intersectionOverUnion } from '../../../functions/lib/faces/track-faces';

const box = (left: number, top = 0.2, size = 0.2) => ({ left, top, width: size, height: size });

describe('intersectionOverUnion', () => {
  it('is 1 for the same box, 0 for disjoint boxes and partial in between', () => {
    // Assess
    expect(intersectionOverUnion(box(0.1), box(0.1))).toBeCloseTo(1);
    expect(intersectionOverUnion(box(0.1), box(0.5))).toBe(0);
    expect(intersectionOverUnion(box(0.1), box(0.2))).toBeCloseTo(0.02 / 0.06);
  });
});

describe('assignTracks', () => {
  it('follows two faces that swap input order between frames', () => {
    // Prepare
    const detections = [
      { time: 0, box: box(0.1) },
      { time: 0, box: box(0.6) },
      { time: 0.2, box: box(0.62) },
      { time: 0.2, box: box(0.12) },
    ];

    // Act
    const tracks = assignTracks(detections);

    // Assess
    expect(tracks).toEqual([0, 1, 1, 0]);
  });

  it('starts a new track when a face returns after the gap limit, or jumps across the frame', () => {
    // Prepare
    const detections = [
      { time: 0, box: box(0.1) },
      { time: 0.2, box: box(0.1) },
      { time: 5, box: box(0.1) },
      { time: 5.2, box: box(0.7) },
    ];

    // Act
    const tracks = assignTracks(detections, { minIou: 0.3, maxGapSec: 1.5 });

    // Assess
    expect(tracks).toEqual([0, 0, 1, 2]);
  });

  it('never gives one track two faces at the same time', () => {
    // Prepare: two overlapping faces both match the single open track.
    const detections = [
      { time: 0, box: box(0.3) },
      { time: 0.2, box: box(0.3) },
      { time: 0.2, box: box(0.32) },
    ];

    // Act
    const tracks = assignTracks(detections);

    // Assess
    expect(tracks[1]).toBe(0);
    expect(tracks[2]).toBe(1);
  });
});
