/**
 * dlib's HOG face detector and 68-point shape predictor through the native addon: the
 * landmarks AV-HuBERT's mouth crops were made with (avhubert/preparation/detect_landmark.py).
 * The model file comes from Debian's/Ubuntu's libdlib-data.
 */
import { DLIB_SHAPE_PREDICTOR, loadFaceLandmarker, type FaceLandmarker } from '../../native/index';
import type { FaceBox, LandmarkEngine } from './face-landmarks';
import type { BoxFraming } from './tracker';

export interface DlibEngineOptions {
  /** Default: /usr/share/dlib/shape_predictor_68_face_landmarks.dat (libdlib-data). */
  shapePredictor?: string;
  /**
   * Image doublings before detection. Default 1, as AV-HuBERT's preparation (faces down to about
   * 40 px): the predictor starts from the detector's box, so its framing matters. 'auto' tries
   * none first (four times cheaper, faces of 80 px and more), but HOG's coarser pyramid then
   * frames the same face up to 15% larger or smaller.
   */
  upsample?: number | 'auto';
}

/**
 * dlib's detector boxes relative to its own 68 points, measured on the GRID clips
 * (test/landmarks-dlib.test.ts prints them): the square box is 0.93-1.05 times the landmarks'
 * extent, its centre about a tenth of the extent above theirs (it cuts off the chin, which the
 * jaw points reach).
 */
export const DLIB_FRAMING: BoxFraming = {
  boxPerExtent: 0.98,
  centreShift: [0.02, -0.1],
  minRatio: 0.75,
  maxRatio: 1.35,
  maxCentreOffset: 0.2,
};

let shared: { key: string; landmarker: Promise<FaceLandmarker> } | null = null;

/** The predictor (a 100 MB file) is read once per process and shared. */
function sharedLandmarker(file: string): Promise<FaceLandmarker> {
  if (shared?.key !== file) {
    const landmarker = loadFaceLandmarker(file);
    shared = { key: file, landmarker };
    landmarker.catch(() => {
      if (shared?.landmarker === landmarker) shared = null;
    });
  }
  return shared.landmarker;
}

export async function createDlibEngine(options: DlibEngineOptions = {}): Promise<LandmarkEngine> {
  const landmarker = await sharedLandmarker(options.shapePredictor ?? DLIB_SHAPE_PREDICTOR);
  const upsample = options.upsample ?? 1;
  return {
    name: 'dlib',
    framing: DLIB_FRAMING,
    async detectFace(frame): Promise<FaceBox | null> {
      let faces = await landmarker.detect(frame, upsample === 'auto' ? 0 : upsample);
      if (faces.length === 0 && upsample === 'auto') faces = await landmarker.detect(frame, 1);
      // The largest face, as the face-api engine picks it.
      const largest = faces.reduce<(typeof faces)[number] | undefined>(
        (best, face) => (!best || face.width * face.height > best.width * best.height ? face : best),
        undefined,
      );
      return largest
        ? { x: largest.left, y: largest.top, width: largest.width, height: largest.height, score: largest.score }
        : null;
    },
    landmarks(frames, boxes) {
      return landmarker.landmarks(
        frames,
        // dlib rectangles are inclusive: right = left + width - 1.
        boxes.map((box) => ({ left: box.x, top: box.y, right: box.x + box.size - 1, bottom: box.y + box.size - 1 })),
      );
    },
  };
}
