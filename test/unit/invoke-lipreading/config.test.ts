import { configSchema } from '../../../functions/invoke-lipreading/config';
import { loadConfig } from '../../../functions/lib/config';
import { ConfigurationError } from '../../../functions/lib/errors';

const base = {
  JOBS_TABLE: 'gorggle-jobs',
  PROCESSED_BUCKET: 'gorggle-processed',
  AVHUBERT_SECRET_PARAMETER: '/gorggle/avhubert/shared-secret',
};

describe('invoke-lipreading config', () => {
  it('needs either a fixed endpoint or an instance tag, and says so', () => {
    // Act
    const load = () => loadConfig(configSchema, { ...base, AVHUBERT_ENDPOINT: '', AVHUBERT_INSTANCE_TAG: '' });

    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(/AVHUBERT_ENDPOINT.*AVHUBERT_INSTANCE_TAG/);
  });

  it('defaults the port, the warm-up limit and the poll interval', () => {
    // Act
    const config = loadConfig(configSchema, { ...base, AVHUBERT_INSTANCE_TAG: 'gorggle:role=avhubert' });

    // Assess
    expect(config).toMatchObject({ AVHUBERT_PORT: 8080, AVHUBERT_WARMUP_MAX_SECONDS: 600, POLL_INTERVAL_SECONDS: 10 });
    expect(config.AVHUBERT_ENDPOINT).toBeUndefined();
  });

  it("needs the lip-reading server's shared secret, from SSM or (locally) given", () => {
    // Act
    const { AVHUBERT_SECRET_PARAMETER: _parameter, ...withoutSecret } = base;
    const load = () => loadConfig(configSchema, { ...withoutSecret, AVHUBERT_INSTANCE_TAG: 'gorggle:role=avhubert' });
    const weak = () =>
      loadConfig(configSchema, { ...withoutSecret, AVHUBERT_ENDPOINT: 'http://127.0.0.1:1', AVHUBERT_SECRET: 'short' });

    // Assess
    expect(load).toThrow(/AVHUBERT_SECRET_PARAMETER/);
    expect(weak).toThrow(/AVHUBERT_SECRET: must be at least 32 characters/);
  });

  it('refuses a tag that is not key=value', () => {
    // Act
    const load = () => loadConfig(configSchema, { ...base, AVHUBERT_INSTANCE_TAG: 'avhubert' });

    // Assess
    expect(load).toThrow(/AVHUBERT_INSTANCE_TAG/);
  });
});
