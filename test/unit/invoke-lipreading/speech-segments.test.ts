import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SpeechDocument } from '../../../functions/lib/contracts/documents';
import type { AnalysedInput } from '../../../functions/lib/contracts/pipeline';
import { lipReadingBranch } from '../../../functions/lib/lipreading/lipreading-branch';
import type { LipReadingClient } from '../../../functions/lib/ports';
import { REPO_ROOT } from '../../support/paths';
import { InMemoryObjectStore } from '../fuse/builders';

const startEvent = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'events', 'invoke-lipreading', 'start.json'), 'utf8'),
) as { job: AnalysedInput };
const SPEECH = { bucket: 'gorggle-processed', key: `jobs/${startEvent.job.jobId}/speech.json` };

const speechDocument = (segments: SpeechDocument['segments']): SpeechDocument => ({
  version: 1,
  model: { name: 'silero-vad', sha256: 'a'.repeat(64) },
  sampleRate: 16000,
  durationSec: 3,
  settings: { threshold: 0.5, minSpeechSec: 0.25, minSilenceSec: 0.1, padSec: 0.03 },
  segments,
  speechSec: segments.reduce((total, segment) => total + segment.end - segment.start, 0),
});

/** Submits the sample job with `speech` facts and returns what the server was sent. */
async function submitted(job: AnalysedInput, store = new InMemoryObjectStore()) {
  const requests: Array<Parameters<LipReadingClient['submit']>[0]> = [];
  const client: LipReadingClient = {
    health: async () => ({ model: { name: 'test-model' } }),
    submit: async (request) => {
      requests.push(request);
      return { id: 'lr-1' };
    },
    status: async () => ({ state: 'running' }),
  };
  const branch = lipReadingBranch({
    host: { ensureRunning: async () => ({ state: 'ready', endpoint: 'http://127.0.0.1:1' }) },
    clientFor: () => client,
    clock: { now: () => new Date() },
    warmupMaxSeconds: 60,
    objects: store,
  });
  const outcome = await branch.start(job);
  return { outcome, request: requests[0] };
}

const withSpeech = (segments: number): AnalysedInput => ({
  ...startEvent.job,
  media: { ...startEvent.job.media, speech: { output: SPEECH, segments, speechSec: 1 } },
});

describe('lip reading bounded by the speech', () => {
  it("sends extract's speech segments with the job", async () => {
    // Prepare
    const store = new InMemoryObjectStore().seed(SPEECH, speechDocument([{ start: 0.514, end: 2.302 }]));

    // Act
    const { outcome, request } = await submitted(withSpeech(1), store);

    // Assess
    expect(outcome).toMatchObject({ status: 'running', handle: 'lr-1' });
    expect(request).toMatchObject({ mode: 'avsr', segments: [{ start: 0.514, end: 2.302 }] });
  });

  it('sends an empty list for a clip with no speech, so the server decodes nothing', async () => {
    // Prepare
    const store = new InMemoryObjectStore().seed(SPEECH, speechDocument([]));

    // Act
    const { request } = await submitted(withSpeech(0), store);

    // Assess
    expect(request?.segments).toEqual([]);
  });

  it('leaves the segments out when extract found none to give (no sound), and the server finds speech itself', async () => {
    // Act
    const { request } = await submitted(startEvent.job);

    // Assess
    expect(request).toBeDefined();
    expect(request).not.toHaveProperty('segments');
  });
});
