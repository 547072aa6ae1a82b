import { estimatePose, toFaceDetail } from '../../scripts/local-stack/emulators/rekognition/face-record';

/** A level, frontal face: every point at (100 + 2i, 50 + i), then the ones that matter placed. */
function frontalLandmarks(): Float32Array {
  const points = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    points[2 * i] = 100 + 2 * i;
    points[2 * i + 1] = 50 + i;
  }
  const place = (ids: number[], x: number, y: number) =>
    ids.forEach((id) => {
      points[2 * id] = x;
      points[2 * id + 1] = y;
    });
  place([36, 37, 38, 39, 40, 41], 80, 100);
  place([42, 43, 44, 45, 46, 47], 120, 100);
  place([30], 100, 130);
  place([48], 85, 150);
  place([54], 115, 150);
  place([51], 100, 145);
  place([57], 100, 158);
  return points;
}

describe('toFaceDetail', () => {
  const frame = { width: 200, height: 250, data: new Uint8Array(200 * 250 * 3).fill(128) };
  const face = { box: { x: 60, y: 70, width: 80, height: 100 }, score: 0.87, landmarks: frontalLandmarks() };

  it('maps the 68 points to Rekognition landmark types in relative units', () => {
    // Act
    const detail = toFaceDetail(face, frame, 'ALL');
    const point = (type: string) => detail.Landmarks.find((landmark) => landmark.Type === type);

    // Assess
    expect(detail.BoundingBox).toEqual({ Width: 0.4, Height: 0.4, Left: 0.3, Top: 0.28 });
    expect(detail.Confidence).toBeCloseTo(87);
    expect(point('eyeLeft')).toEqual({ Type: 'eyeLeft', X: 0.4, Y: 0.4 });
    expect(point('eyeRight')).toEqual({ Type: 'eyeRight', X: 0.6, Y: 0.4 });
    expect(point('nose')).toEqual({ Type: 'nose', X: 0.5, Y: 0.52 });
    expect(point('mouthLeft')).toEqual({ Type: 'mouthLeft', X: 0.425, Y: 0.6 });
    expect(point('mouthRight')).toEqual({ Type: 'mouthRight', X: 0.575, Y: 0.6 });
    expect(point('mouthUp')).toEqual({ Type: 'mouthUp', X: 0.5, Y: 0.58 });
    expect(point('mouthDown')).toEqual({ Type: 'mouthDown', X: 0.5, Y: 0.632 });
    expect(detail.Landmarks).toHaveLength(30);
    expect(detail.Quality.Brightness).toBeCloseTo(50.2, 0);
    expect(detail.Quality.Sharpness).toBeCloseTo(0);
  });

  it('returns only the five default landmarks for DEFAULT', () => {
    expect(toFaceDetail(face, frame, 'DEFAULT').Landmarks.map((landmark) => landmark.Type)).toEqual([
      'eyeLeft',
      'eyeRight',
      'nose',
      'mouthLeft',
      'mouthRight',
    ]);
  });
});

describe('estimatePose', () => {
  it('is near zero for a level frontal face and follows a tilt', () => {
    // Prepare
    const level = frontalLandmarks();
    const tilted = frontalLandmarks();
    for (let id = 42; id < 48; id++) tilted[2 * id + 1] = 140;

    // Act
    const levelPose = estimatePose(level);
    const tiltedPose = estimatePose(tilted);

    // Assess
    expect(Math.abs(levelPose.Roll)).toBeLessThan(1);
    expect(Math.abs(levelPose.Yaw)).toBeLessThan(1);
    expect(Math.abs(levelPose.Pitch)).toBeLessThan(5);
    expect(tiltedPose.Roll).toBeCloseTo(45, 0);
  });
});
