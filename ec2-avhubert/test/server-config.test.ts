import { loadServerConfig } from '../src/config';

/** What every server needs: the one bucket it serves and where its shared secret is. */
const ACCESS = {
  GORGGLE_PROCESSED_BUCKET: 'gorggle-processed',
  GORGGLE_AVHUBERT_SECRET_PARAMETER: '/gorggle/avhubert/shared-secret',
};

describe('server configuration', () => {
  it('fills defaults that suit one GPU and reads the model folder from either key', () => {
    const config = loadServerConfig({ ...ACCESS, MODEL_DIR: '/opt/models/current' });
    expect(config).toMatchObject({
      modelDir: '/opt/models/current',
      port: 8080,
      host: '127.0.0.1',
      processedBucket: 'gorggle-processed',
      secret: { parameter: '/gorggle/avhubert/shared-secret' },
      allowedHosts: [],
      device: 'cpu',
      concurrency: 1,
      queueCapacity: 16,
      jobTimeoutMs: 300_000,
      jobTimeoutMsPerVideoSecond: 10_000,
      decodeMemoryBytes: 2048 * 2 ** 20,
      decodeBatchChunks: 8,
      dtype: 'float32',
      landmarks: 'dlib',
      idleShutdownMs: 15 * 60_000,
      logLevel: 'info',
    });
    expect(loadServerConfig({ ...ACCESS, GORGGLE_MODEL_DIR: '/a', MODEL_DIR: '/b' }).modelDir).toBe('/a');
  });

  it('parses numbers from strings, and 0 idle minutes disables the power-off', () => {
    const config = loadServerConfig({
      ...ACCESS,
      GORGGLE_MODEL_DIR: '/m',
      GORGGLE_AVHUBERT_PORT: '9000',
      GORGGLE_DEVICE: 'cuda',
      GORGGLE_IDLE_SHUTDOWN_MINUTES: '0',
      GORGGLE_JOB_TIMEOUT_SECONDS: '30',
      GORGGLE_JOB_TIMEOUT_SECONDS_PER_VIDEO_SECOND: '2.5',
      GORGGLE_DECODE_MEMORY_MB: '512',
      GORGGLE_LANDMARKS: 'face-api',
      GORGGLE_MODEL_S3_URI: 's3://models/avhubert/large/',
    });
    expect(config).toMatchObject({
      port: 9000,
      device: 'cuda',
      dtype: 'float16',
      idleShutdownMs: 0,
      jobTimeoutMs: 30_000,
      jobTimeoutMsPerVideoSecond: 2_500,
      decodeMemoryBytes: 512 * 2 ** 20,
      landmarks: 'face-api',
      modelS3Uri: 's3://models/avhubert/large/',
    });
  });

  it('runs without a model when neither model key is set (the server then reports it and refuses jobs)', () => {
    const config = loadServerConfig({ GORGGLE_PROCESSED_BUCKET: 'b-b-b', GORGGLE_AVHUBERT_SECRET_PARAMETER: '/s' });
    expect(config.modelDir).toBeUndefined();
  });

  it('refuses to start without the bucket it serves or a secret of 32 characters or more', () => {
    const base = { GORGGLE_MODEL_DIR: '/m' };
    expect(() => loadServerConfig({ ...base, GORGGLE_AVHUBERT_SECRET_PARAMETER: '/s' })).toThrow(
      /GORGGLE_PROCESSED_BUCKET is not set/,
    );
    expect(() => loadServerConfig({ ...base, GORGGLE_PROCESSED_BUCKET: 'b-b-b' })).toThrow(
      /exactly one of GORGGLE_AVHUBERT_SECRET_PARAMETER .* and GORGGLE_AVHUBERT_SECRET/,
    );
    expect(() =>
      loadServerConfig({ ...base, GORGGLE_PROCESSED_BUCKET: 'b-b-b', GORGGLE_AVHUBERT_SECRET: 'too-short' }),
    ).toThrow(/GORGGLE_AVHUBERT_SECRET: must be at least 32 characters/);
    expect(
      loadServerConfig({
        ...base,
        GORGGLE_PROCESSED_BUCKET: 'b-b-b',
        GORGGLE_AVHUBERT_SECRET: 'x'.repeat(32),
        GORGGLE_AVHUBERT_ALLOWED_HOSTS: '127.0.0.1:4572, LOCALHOST:4572',
      }),
    ).toMatchObject({ secret: { value: 'x'.repeat(32) }, allowedHosts: ['127.0.0.1:4572', 'localhost:4572'] });
  });

  it('names every bad key', () => {
    const load = () =>
      loadServerConfig({
        GORGGLE_MODEL_DIR: '/m',
        GORGGLE_DEVICE: 'tpu',
        GORGGLE_CONCURRENCY: '0',
        GORGGLE_MODEL_S3_URI: 'https://example.com/model',
      });
    expect(load).toThrow(/GORGGLE_DEVICE/);
    expect(load).toThrow(/GORGGLE_CONCURRENCY/);
    expect(load).toThrow(/GORGGLE_MODEL_S3_URI: must look like s3:\/\/bucket\/prefix\//);
  });
});
