import { S3ServiceException } from '@aws-sdk/client-s3';
import { TranscribeServiceException } from '@aws-sdk/client-transcribe';
import { UnsupportedMediaError, normaliseError } from '../../functions/lib/errors';

const sdkError = (name: string, status: number, fault: 'client' | 'server') =>
  new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} happened` });

describe('normaliseError: what the state machine retries', () => {
  it.each([
    ['a 503 after the SDK gave up', sdkError('ServiceUnavailable', 503, 'server')],
    [
      'a 500 from Transcribe',
      new TranscribeServiceException({
        name: 'InternalFailureException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'internal',
      }),
    ],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a connection that timed out', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    [
      'a reset wrapped in an SDK error',
      Object.assign(new Error('request failed'), {
        cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      }),
    ],
  ])('makes %s a DependencyUnavailableError, retried with backoff', (_what, error) => {
    // Act
    const named = normaliseError(error);

    // Assess
    expect(named.name).toBe('DependencyUnavailableError');
    expect(named.cause).toBe(error);
  });

  it('makes throttling left over after the SDK retries a ServiceThrottledError, retried with long backoff', () => {
    expect(normaliseError(sdkError('ThrottlingException', 400, 'client')).name).toBe('ServiceThrottledError');
  });

  it.each([
    ['AccessDenied', sdkError('AccessDenied', 403, 'client')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
  ])('leaves %s as it is: retrying cannot fix it', (_what, error) => {
    expect(normaliseError(error)).toBe(error);
  });

  it("keeps Gorggle's own errors", () => {
    const error = new UnsupportedMediaError('no streams');
    expect(normaliseError(error)).toBe(error);
  });
});
