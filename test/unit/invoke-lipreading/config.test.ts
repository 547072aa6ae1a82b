import { configSchema } from '../../../functions/invoke-lipreading/config';
import { loadConfig } from '../../../functions/lib/config';
import { ConfigurationError } from '../../../functions/lib/errors';

const base = {
  JOBS_TABLE: 'gorggle-jobs',
  PROCESSED_BUCKET: 'gorggle-processed',
  AVHUBERT_SECRET_PARAMETER: '/gorggle/avhubert/shared-secret',
};

describe('invoke-lipreading config', () => {
  it('needs a fixed endpoint or a GPU group while lip reading is on, and says so', () => {
    // Act
    const load = () => loadConfig(configSchema, { ...base, AVHUBERT_ENDPOINT: '', AVHUBERT_ASG_NAME: '' });

    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(/AVHUBERT_ENDPOINT.*AVHUBERT_ASG_NAME.*LIPREADING_ENABLED=false/);
  });

  it('needs neither when lip reading is turned off', () => {
    // Act
    const config = loadConfig(configSchema, { ...base, LIPREADING_ENABLED: 'false', AVHUBERT_ASG_NAME: '' });

    // Assess
    expect(config.LIPREADING_ENABLED).toBe('false');
  });

  it('defaults the port, the warm-up limit and the poll interval', () => {
    // Act
    const config = loadConfig(configSchema, { ...base, AVHUBERT_ASG_NAME: 'gorggle-avhubert' });

    // Assess
    expect(config).toMatchObject({
      LIPREADING_ENABLED: 'true',
      AVHUBERT_PORT: 8080,
      AVHUBERT_WARMUP_MAX_SECONDS: 900,
      POLL_INTERVAL_SECONDS: 10,
    });
    expect(config.AVHUBERT_ENDPOINT).toBeUndefined();
  });

  it("needs the lip-reading server's shared secret, from SSM or (locally) given", () => {
    // Act
    const { AVHUBERT_SECRET_PARAMETER: _parameter, ...withoutSecret } = base;
    const load = () => loadConfig(configSchema, { ...withoutSecret, AVHUBERT_ASG_NAME: 'gorggle-avhubert' });
    const weak = () =>
      loadConfig(configSchema, { ...withoutSecret, AVHUBERT_ENDPOINT: 'http://127.0.0.1:1', AVHUBERT_SECRET: 'short' });
    const off = () => loadConfig(configSchema, { ...withoutSecret, LIPREADING_ENABLED: 'false' });

    // Assess
    expect(load).toThrow(/AVHUBERT_SECRET_PARAMETER/);
    expect(weak).toThrow(/AVHUBERT_SECRET: must be at least 32 characters/);
    expect(off).not.toThrow();
  });

  it('refuses a model manifest that is not an s3:// URI of a manifest.json', () => {
    // Act
    const load = () =>
      loadConfig(configSchema, { ...base, AVHUBERT_ASG_NAME: 'g', AVHUBERT_MODEL_MANIFEST: 'models/avhubert/' });

    // Assess
    expect(load).toThrow(/AVHUBERT_MODEL_MANIFEST/);
  });
});
