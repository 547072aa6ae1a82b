/** What `make local` prints about the stack: which lip-reading model runs, and a way in with the AWS CLI. */
import type { LipReadingModelChoice } from '../local-stack/avhubert';
import { LOCAL_CREDENTIALS } from '../local-stack/config';

/** What `make local` says about lip reading before any job runs. */
export function describeLipReadingModel(model: LipReadingModelChoice): string {
  switch (model.kind) {
    case 'package':
      return `Lip reading: the model package at ${model.modelDir}.`;
    case 'test-model':
      return (
        'Lip reading: TEST MODEL, a plumbing check (LIPREAD_TEST_MODEL=1). The generated model in\n' +
        `${model.modelDir} only knows two GRID sentences: its words are NOT lip reading. They are\n` +
        'labelled and kept out of the captions (see visual.vtt). Set GORGGLE_MODEL_DIR for real lip reading.'
      );
    case 'none':
      return (
        `Lip reading: skipped: ${model.reason}. Captions come from speech and faces.\n` +
        'Set GORGGLE_MODEL_DIR to an exported AV-HuBERT package (ec2-avhubert/README.md) to add it, or run\n' +
        '`make local LIPREAD_TEST_MODEL=1` for a labelled plumbing check with the generated test model.'
      );
  }
}

/** An `aws s3 cp` line that works as printed: the local S3 knows only the key pair S3RVER/S3RVER. */
export function awsUploadCommand(s3Endpoint: string, uploadsBucket: string, region: string): string {
  const credentials = `AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY}`;
  return `${credentials} AWS_DEFAULT_REGION=${region} aws --endpoint-url ${s3Endpoint} s3 cp <video> s3://${uploadsBucket}/uploads/`;
}
