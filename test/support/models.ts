import { existsSync } from 'node:fs';
import path from 'node:path';
import { locateModel, MODELS_DIR } from '../../scripts/models/weights';

/** Silero VAD, from ../shared/models (or the setup's verified download). */
export const sileroModelPath = () => locateModel('silero-vad');

/** The converted LR-ASD model that `make lr-asd` writes (make test builds it first). */
export const LR_ASD_DIR = path.join(MODELS_DIR, 'lr-asd');
export const lrAsdOnnx = (weights = 'pretrain_AVA') => path.join(LR_ASD_DIR, `${weights}.onnx`);
export const hasLrAsd = (weights = 'pretrain_AVA') => existsSync(lrAsdOnnx(weights));
