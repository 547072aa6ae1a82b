import { awsUploadCommand, describeLipReadingModel } from '../../../scripts/local/messages';

describe('what make local prints', () => {
  it('prints an aws s3 cp line that carries the only key pair the local S3 knows', () => {
    // Act
    const line = awsUploadCommand('http://127.0.0.1:4568', 'gorggle-uploads-000000000000-us-east-1', 'us-east-1');

    // Assess
    expect(line).toBe(
      'AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 ' +
        'aws --endpoint-url http://127.0.0.1:4568 s3 cp <video> s3://gorggle-uploads-000000000000-us-east-1/uploads/',
    );
  });

  it('says that lip reading is skipped and why, that the test model is a labelled plumbing check, or which package runs', () => {
    // Act
    const none = describeLipReadingModel({
      kind: 'none',
      reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)',
    });
    const testModel = describeLipReadingModel({ kind: 'test-model', modelDir: '/repo/ec2-avhubert/models/test-model' });
    const real = describeLipReadingModel({ kind: 'package', modelDir: '/models/avhubert-large' });

    // Assess
    expect(none).toMatch(/^Lip reading: skipped: no lip-reading model configured \(set GORGGLE_MODEL_DIR\)\./);
    expect(none).toContain('LIPREAD_TEST_MODEL=1');
    expect(testModel).toMatch(/^Lip reading: TEST MODEL, a plumbing check/);
    expect(testModel).toContain('NOT lip reading');
    expect(real).toBe('Lip reading: the model package at /models/avhubert-large.');
  });
});
