/**
 * Reference geometry of AV-HuBERT's mouth-ROI recipe (avhubert/preparation/align_mouth.py).
 *
 * The points are rows 33, 36, 39, 42 and 45 of `20words_mean_face.npy`
 * (github.com/mpc001/Lipreading_using_Temporal_Convolutional_Networks, preprocessing/,
 * blob b659613a), read with numpy: the nose tip and the outer and inner eye corners of the
 * 68-point dlib scheme, in the 256x256 frame the faces are warped into.
 */
export const STABLE_POINT_IDS = [33, 36, 39, 42, 45] as const;

export const MEAN_FACE_STABLE_POINTS: ReadonlyArray<readonly [number, number]> = [
  [128.87017960974802, 137.30253355584708],
  [92.52245552947952, 94.36876013925871],
  [112.7724172413806, 94.94360869870115],
  [145.52511509158018, 94.5349986248377],
  [166.67710071343456, 93.56562295717796],
];

/** The warped face is STD_SIZE x STD_SIZE. */
export const STD_SIZE = 256;
/** Mouth points 48..67 (outer and inner lips). */
export const MOUTH_START = 48;
export const MOUTH_END = 68;
export const CROP_SIZE = 96;
export const ROI_SIZE = 88;
/** Frames averaged to smooth landmarks before the similarity transform. */
export const SMOOTHING_WINDOW = 12;
/** Gray-level normalisation of the released models: (x / 255 - mean) / std. */
export const PIXEL_MEAN = 0.421;
export const PIXEL_STD = 0.165;
export const FPS = 25;
