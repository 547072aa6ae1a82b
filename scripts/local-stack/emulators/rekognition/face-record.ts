/** An RGB24 frame, row-major (what ffmpeg's rawvideo rgb24 output holds). */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The 68 points of the iBUG/dlib scheme as x, y pairs in pixels. */
export type Landmarks = Float32Array;

/** A face on one frame: the detector's box and score, and the 68 dlib-layout points (pixels). */
export interface FoundFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: Landmarks;
}

/** Rekognition's FaceDetail, the parts the emulator can honestly compute. */
export interface RekognitionFaceDetail {
  BoundingBox: { Width: number; Height: number; Left: number; Top: number };
  Landmarks: Array<{ Type: string; X: number; Y: number }>;
  Pose: { Roll: number; Yaw: number; Pitch: number };
  Quality: { Brightness: number; Sharpness: number };
  Confidence: number;
}

type Point = [number, number];

/**
 * Rekognition's landmark types as points of the 68-point (iBUG/dlib) scheme: a single index,
 * or several to average. DEFAULT returns the five marked `default`; ALL returns every one.
 */
const LANDMARK_POINTS: ReadonlyArray<{ type: string; points: number[]; default?: true }> = [
  { type: 'eyeLeft', points: [36, 37, 38, 39, 40, 41], default: true },
  { type: 'eyeRight', points: [42, 43, 44, 45, 46, 47], default: true },
  { type: 'nose', points: [30], default: true },
  { type: 'mouthLeft', points: [48], default: true },
  { type: 'mouthRight', points: [54], default: true },
  { type: 'leftEyeBrowLeft', points: [17] },
  { type: 'leftEyeBrowUp', points: [19] },
  { type: 'leftEyeBrowRight', points: [21] },
  { type: 'rightEyeBrowLeft', points: [22] },
  { type: 'rightEyeBrowUp', points: [24] },
  { type: 'rightEyeBrowRight', points: [26] },
  { type: 'leftEyeLeft', points: [36] },
  { type: 'leftEyeRight', points: [39] },
  { type: 'leftEyeUp', points: [37, 38] },
  { type: 'leftEyeDown', points: [40, 41] },
  { type: 'rightEyeLeft', points: [42] },
  { type: 'rightEyeRight', points: [45] },
  { type: 'rightEyeUp', points: [43, 44] },
  { type: 'rightEyeDown', points: [46, 47] },
  { type: 'noseLeft', points: [31] },
  { type: 'noseRight', points: [35] },
  { type: 'mouthUp', points: [51] },
  { type: 'mouthDown', points: [57] },
  { type: 'leftPupil', points: [36, 37, 38, 39, 40, 41] },
  { type: 'rightPupil', points: [42, 43, 44, 45, 46, 47] },
  { type: 'upperJawlineLeft', points: [0] },
  { type: 'midJawlineLeft', points: [4] },
  { type: 'chinBottom', points: [8] },
  { type: 'midJawlineRight', points: [12] },
  { type: 'upperJawlineRight', points: [16] },
];

function meanPoint(landmarks: Landmarks, ids: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const id of ids) {
    x += landmarks[2 * id] ?? 0;
    y += landmarks[2 * id + 1] ?? 0;
  }
  return [x / ids.length, y / ids.length];
}

/** Maps a found face to Rekognition's FaceDetail, in units relative to the frame. */
export function toFaceDetail(face: FoundFace, frame: RgbFrame, attributes: 'DEFAULT' | 'ALL'): RekognitionFaceDetail {
  const { width, height } = frame;
  return {
    BoundingBox: {
      Width: face.box.width / width,
      Height: face.box.height / height,
      Left: face.box.x / width,
      Top: face.box.y / height,
    },
    Landmarks: LANDMARK_POINTS.filter((entry) => attributes === 'ALL' || entry.default).map((entry) => {
      const [x, y] = meanPoint(face.landmarks, entry.points);
      return { Type: entry.type, X: x / width, Y: y / height };
    }),
    Pose: estimatePose(face.landmarks),
    Quality: measureQuality(frame, face.box),
    Confidence: Math.min(100, Math.max(0, face.score * 100)),
  };
}

/**
 * A rough head pose from the landmarks, in degrees, not a fitted 3-D model: roll is the tilt
 * of the eye line; yaw and pitch come from where the nose tip sits against the eyes, scaled
 * by the distance between the eyes (about 0 for a face looking into the camera).
 */
export function estimatePose(landmarks: Landmarks): RekognitionFaceDetail['Pose'] {
  const [leftX, leftY] = meanPoint(landmarks, [36, 37, 38, 39, 40, 41]);
  const [rightX, rightY] = meanPoint(landmarks, [42, 43, 44, 45, 46, 47]);
  const [noseX, noseY] = meanPoint(landmarks, [30]);
  const eyeDistance = Math.hypot(rightX - leftX, rightY - leftY) || 1;
  const roll = (Math.atan2(rightY - leftY, rightX - leftX) * 180) / Math.PI;
  // Work in the face's own frame: undo the roll before comparing positions.
  const cos = Math.cos((-roll * Math.PI) / 180);
  const sin = Math.sin((-roll * Math.PI) / 180);
  const dx = noseX - (leftX + rightX) / 2;
  const dy = noseY - (leftY + rightY) / 2;
  const along = (dx * cos - dy * sin) / eyeDistance;
  const down = (dx * sin + dy * cos) / eyeDistance;
  /** Nose tip below the eye line, in eye distances, for a level face (dlib mean shape). */
  const LEVEL_NOSE_DROP = 0.75;
  const clampDegrees = (value: number) => Math.max(-90, Math.min(90, value));
  return {
    Roll: roll,
    Yaw: clampDegrees((Math.asin(Math.max(-1, Math.min(1, along * 2))) * 180) / Math.PI),
    Pitch: clampDegrees(((LEVEL_NOSE_DROP - down) / LEVEL_NOSE_DROP) * 45),
  };
}

/**
 * Brightness is the mean luma inside the box (0..100). Sharpness is the mean absolute
 * Laplacian of luma there, scaled so a crisp studio frame is near 100 and a heavy blur near 0.
 */
export function measureQuality(frame: RgbFrame, box: FoundFace['box']): RekognitionFaceDetail['Quality'] {
  const x0 = Math.max(1, Math.floor(box.x));
  const y0 = Math.max(1, Math.floor(box.y));
  const x1 = Math.min(frame.width - 1, Math.ceil(box.x + box.width));
  const y1 = Math.min(frame.height - 1, Math.ceil(box.y + box.height));
  const luma = (x: number, y: number) => {
    const o = (y * frame.width + x) * 3;
    return 0.299 * (frame.data[o] ?? 0) + 0.587 * (frame.data[o + 1] ?? 0) + 0.114 * (frame.data[o + 2] ?? 0);
  };
  let lumaSum = 0;
  let laplacianSum = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const centre = luma(x, y);
      lumaSum += centre;
      laplacianSum += Math.abs(4 * centre - luma(x - 1, y) - luma(x + 1, y) - luma(x, y - 1) - luma(x, y + 1));
      count++;
    }
  }
  if (count === 0) return { Brightness: 0, Sharpness: 0 };
  /** Mean |Laplacian| of a sharp face crop is about this (8-bit luma). */
  const SHARP_LAPLACIAN = 12;
  return {
    Brightness: (lumaSum / count / 255) * 100,
    Sharpness: Math.min(100, (laplacianSum / count / SHARP_LAPLACIAN) * 100),
  };
}
