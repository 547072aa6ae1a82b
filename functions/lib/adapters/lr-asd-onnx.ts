import { readFileSync } from 'node:fs';
import * as z from 'zod';
import {
  FACE_SIZE,
  LR_ASD_WEIGHTS,
  MFCC_ROWS_PER_FRAME,
  type ActiveSpeakerModel,
  type ScoringWindow,
} from '../active-speaker/active-speaker-model';
import { MFCC_COEFFICIENTS } from '../active-speaker/mfcc';
import type { ActiveSpeakersDocument } from '../contracts/documents';
import { ConfigurationError } from '../errors';
import { onnxRuntime, openSession, type OnnxRuntime, type OnnxSession } from './onnx-runtime';

/** What scripts/models/lr_asd.py writes beside the model: which weights it was converted from. */
const manifestSchema = z.object({
  model: z.literal('lr-asd'),
  weights: z.enum(LR_ASD_WEIGHTS),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** LR-ASD (MIT, Junhua-Liao/LR-ASD) converted to ONNX by scripts/models/lr_asd.py, on onnxruntime. */
export class OnnxLrAsdModel implements ActiveSpeakerModel {
  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: OnnxSession,
    readonly model: ActiveSpeakersDocument['model'],
  ) {}

  /** `onnxPath` is the model; its manifest is the .json beside it. */
  static async load(onnxPath: string, options: { threads?: number } = {}): Promise<OnnxLrAsdModel> {
    const manifestPath = onnxPath.replace(/\.onnx$/, '.json');
    let manifest: z.infer<typeof manifestSchema>;
    try {
      manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
    } catch (error) {
      throw new ConfigurationError(
        `The LR-ASD manifest ${manifestPath} is missing or malformed (${error instanceof Error ? error.message : String(error)}); rebuild the function's package.`,
      );
    }
    const [ort, session] = await Promise.all([onnxRuntime(), openSession(onnxPath, options)]);
    return new OnnxLrAsdModel(ort, session, {
      name: 'lr-asd',
      weights: manifest.weights,
      sha256: manifest.weightsSha256,
    });
  }

  score(window: ScoringWindow): Promise<Float32Array> {
    return this.run(1, window.frames, window.mfcc, Float32Array.from(window.faces));
  }

  /** The raw model: `batch` tracks of `frames` frames at once; returns batch x frames logits. */
  async run(batch: number, frames: number, mfcc: Float32Array, faces: Float32Array): Promise<Float32Array> {
    const audioShape = [batch, MFCC_ROWS_PER_FRAME * frames, MFCC_COEFFICIENTS];
    const videoShape = [batch, frames, FACE_SIZE, FACE_SIZE];
    const { Tensor } = this.ort;
    const outputs = await this.session.run({
      audio: new Tensor('float32', mfcc, audioShape),
      video: new Tensor('float32', faces, videoShape),
    });
    const scores = outputs.scores?.data;
    if (!(scores instanceof Float32Array) || scores.length !== batch * frames) {
      throw new Error(`LR-ASD returned ${scores?.length ?? 'no'} scores for ${batch} x ${frames} frames.`);
    }
    return scores;
  }
}
