import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OnnxLrAsdModel } from '../../../functions/lib/adapters/lr-asd-onnx';
import { requireBuilt } from '../../support/built-artifacts';
import { lrAsdOnnx, LR_ASD_DIR, LR_ASD_WEIGHTS, LR_ASD_WEIGHTS_SHA256 } from '../../support/models';

/** scripts/models/lr_asd.py saves inputs and PyTorch's scores for each case beside the model. */
const PARITY_DIR = path.join(LR_ASD_DIR, `${LR_ASD_WEIGHTS}.parity`);

interface ParityCase {
  index: number;
  batch: number;
  frames: number;
}

const floats = (file: string) => {
  const bytes = readFileSync(path.join(PARITY_DIR, file));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

describe('LR-ASD converted to ONNX', () => {
  let model: OnnxLrAsdModel;
  let cases: ParityCase[];

  beforeAll(async () => {
    requireBuilt({ 'the converted LR-ASD model (make lr-asd)': existsSync(path.join(PARITY_DIR, 'cases.json')) });
    cases = JSON.parse(readFileSync(path.join(PARITY_DIR, 'cases.json'), 'utf8')) as ParityCase[];
    model = await OnnxLrAsdModel.load(lrAsdOnnx(), { threads: 2 });
  });

  it('says which weights it was converted from', () => {
    expect(model.model).toEqual({ name: 'lr-asd', weights: LR_ASD_WEIGHTS, sha256: LR_ASD_WEIGHTS_SHA256 });
  });

  it('scores every case within 1e-4 of PyTorch running the published network on the same inputs', async () => {
    expect(cases.map(({ batch, frames }) => [batch, frames])).toEqual([
      [1, 25],
      [2, 13],
      [1, 63],
    ]);
    for (const { index, batch, frames } of cases) {
      // Act
      const scores = await model.run(batch, frames, floats(`${index}.audio.f32`), floats(`${index}.video.f32`));

      // Assess
      const reference = floats(`${index}.scores.f32`);
      expect(scores).toHaveLength(reference.length);
      const gap = Math.max(...reference.map((value, at) => Math.abs(value - (scores[at] ?? NaN))));
      expect(gap).toBeLessThan(1e-4);
      // Not a degenerate model: the logits vary across frames.
      expect(Math.max(...reference) - Math.min(...reference)).toBeGreaterThan(0.1);
    }
  });
});
