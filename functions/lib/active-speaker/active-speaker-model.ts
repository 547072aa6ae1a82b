import type { ActiveSpeakersDocument } from '../contracts/documents';

/** LR-ASD's two published weight files; the AVA ones are the default (see the README). */
export const LR_ASD_WEIGHTS = ['pretrain_AVA', 'finetuning_TalkSet'] as const;

/** Side length of the grey face crops the model reads. */
export const FACE_SIZE = 112;
/** The model's frame rate; MFCCs come 4 to a frame. */
export const MODEL_FPS = 25;
export const MFCC_ROWS_PER_FRAME = 4;

export interface ScoringWindow {
  frames: number;
  /** frames x 112 x 112 grey face crops, 0..255, row by row. */
  faces: Uint8Array;
  /** (4 x frames) x 13 MFCCs of the same stretch of sound. */
  mfcc: Float32Array;
}

/** An active speaker model: for each frame of one face, how strongly that face is speaking the sound. */
export interface ActiveSpeakerModel {
  readonly model: ActiveSpeakersDocument['model'];
  /** One logit per frame (> 0: speaking). */
  score(window: ScoringWindow): Promise<Float32Array>;
}
