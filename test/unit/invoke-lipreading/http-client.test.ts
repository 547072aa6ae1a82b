import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpLipReadingClient } from '../../../functions/lib/adapters/lipreading-http';
import { LipReadingFailedError, LipReadingUnavailableError } from '../../../functions/lib/errors';
import { ScriptedServer } from './scripted-server';

const SECRET = 'a-shared-secret-of-more-than-32-characters';

/** A port that was free a moment ago and that nothing listens on now. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const VIDEO = { bucket: 'gorggle-processed', key: 'jobs/j1/video.mp4' };

describe('HttpLipReadingClient', () => {
  it('reports a refused connection as LipReadingUnavailableError', async () => {
    // Prepare
    const client = new HttpLipReadingClient(`http://127.0.0.1:${await closedPort()}`, SECRET);

    // Act
    const submit = client.submit({ video: VIDEO, mode: 'vsr' });

    // Assess
    await expect(submit).rejects.toThrow(LipReadingUnavailableError);
    await expect(submit).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reports a job the server no longer knows as LipReadingFailedError', async () => {
    // Prepare
    const server = new ScriptedServer();
    const client = new HttpLipReadingClient(`http://127.0.0.1:${await server.listen()}/`, SECRET);

    // Act
    const status = client.status('lost-job');

    // Assess
    await expect(status).rejects.toThrow(LipReadingFailedError);
    expect(server.requests).toEqual([{ method: 'GET', url: '/v1/jobs/lost-job', body: undefined }]);
    await server.close();
  });

  it('refuses an answer that breaks the API contract', async () => {
    // Prepare
    const server = new ScriptedServer().reply('POST /v1/jobs', { status: 202, body: { jobId: 'wrong-field' } });
    const client = new HttpLipReadingClient(`http://127.0.0.1:${await server.listen()}`, SECRET);

    // Act
    const submit = client.submit({ video: VIDEO, mode: 'avsr' });

    // Assess
    await expect(submit).rejects.toThrow(LipReadingFailedError);
    await server.close();
  });

  it('reads the model from /health, or why there is none', async () => {
    // Prepare
    const reason = 'no lip-reading model configured (set GORGGLE_MODEL_DIR)';
    const server = new ScriptedServer().reply('GET /health', { status: 200, body: { model: null, reason } });
    const client = new HttpLipReadingClient(`http://127.0.0.1:${await server.listen()}`, SECRET);

    // Act
    const without = await client.health();
    const withModel = await client.health();

    // Assess
    expect(without).toEqual({ model: null, reason });
    expect(withModel).toEqual({ model: { name: 'avhubert-large' } });
    await server.close();
  });

  it('says that a job was refused for want of a model, and keeps it retryable for a server that restarts', async () => {
    // Prepare
    const error = 'This server has no lip-reading model: no lip-reading model configured (set GORGGLE_MODEL_DIR).';
    const server = new ScriptedServer().reply('POST /v1/jobs', { status: 503, body: { error, code: 'no_model' } });
    const client = new HttpLipReadingClient(`http://127.0.0.1:${await server.listen()}`, SECRET);

    // Act
    const submit = client.submit({ video: VIDEO, mode: 'avsr' });

    // Assess
    await expect(submit).rejects.toThrow(LipReadingUnavailableError);
    await expect(submit).rejects.toThrow(`The lip-reading server refused POST /v1/jobs: ${error}`);
    await server.close();
  });
});
