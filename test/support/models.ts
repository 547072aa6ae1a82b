import { existsSync } from 'node:fs';
import path from 'node:path';
import { locateModel, MODEL_FILES, MODELS_DIR } from '../../scripts/models/weights';

/** Silero VAD, from ../shared/models (or the setup's verified download). */
export const sileroModelPath = () => locateModel('silero-vad');

/** The LR-ASD weights the build converts (the Makefile's LR_ASD_WEIGHTS), and their sha256. */
export const LR_ASD_WEIGHTS =
  process.env.LR_ASD_WEIGHTS === 'finetuning_TalkSet' ? 'finetuning_TalkSet' : 'pretrain_AVA';
export const LR_ASD_WEIGHTS_SHA256 = MODEL_FILES[`lr-asd/${LR_ASD_WEIGHTS}`].sha256;

/** The converted LR-ASD model that `make lr-asd` writes (make test builds it first). */
export const LR_ASD_DIR = path.join(MODELS_DIR, 'lr-asd');
export const lrAsdOnnx = (weights: string = LR_ASD_WEIGHTS) => path.join(LR_ASD_DIR, `${weights}.onnx`);
export const hasLrAsd = (weights: string = LR_ASD_WEIGHTS) => existsSync(lrAsdOnnx(weights));
