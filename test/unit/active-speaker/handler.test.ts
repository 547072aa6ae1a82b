import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { activeSpeakersDocumentSchema } from '../../../functions/lib/contracts/documents';
import { activeSpeakersStepSchema, type ActiveSpeakerTaskInput } from '../../../functions/lib/contracts/pipeline';
import { requireBuilt } from '../../support/built-artifacts';
import { hasLrAsd, lrAsdOnnx, LR_ASD_WEIGHTS } from '../../support/models';
import { REPO_ROOT } from '../../support/paths';
import { lambdaContext, setBranchEnv } from '../branches/support';

requireBuilt({ 'the converted LR-ASD model (make lr-asd)': hasLrAsd() });
setBranchEnv({ LR_ASD_MODEL_PATH: lrAsdOnnx() });

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/active-speaker/handler');

const s3 = mockClient(S3Client);
const context = lambdaContext('gorggle-active-speaker');
const sample = (): ActiveSpeakerTaskInput =>
  JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'events', 'active-speaker', 'faces-found.json'), 'utf8'),
  ) as ActiveSpeakerTaskInput;
const body = (value: object) => ({ Body: Readable.from([Buffer.from(JSON.stringify(value))]) as never });

const faces = {
  version: 1,
  frameIntervalSec: 0.2,
  durationSec: 3,
  detections: [0, 0.2, 0.4].map((time) => ({
    time,
    trackId: 'face-1',
    box: { left: 0.3, top: 0.2, width: 0.3, height: 0.4 },
    confidence: 0.99,
  })),
  tracks: [{ trackId: 'face-1', firstSeen: 0, lastSeen: 0.4, detections: 3 }],
};
const noSpeech = {
  version: 1,
  model: { name: 'silero-vad', sha256: 'd'.repeat(64) },
  sampleRate: 16000,
  durationSec: 3,
  settings: { threshold: 0.5, minSpeechSec: 0.25, minSilenceSec: 0.1, padSec: 0.03 },
  segments: [],
  speechSec: 0,
};

beforeEach(() => s3.reset());

describe('active-speaker handler', () => {
  it('writes speakers.json with unscored tracks and the reason when the clip has no speech', async () => {
    // Prepare
    const event = sample();
    s3.on(GetObjectCommand, { Key: event.faces.output!.key }).resolves(body(faces));
    s3.on(GetObjectCommand, { Key: event.job.media.speech!.output.key }).resolves(body(noSpeech));
    s3.on(PutObjectCommand).resolves({});

    // Act
    const step = activeSpeakersStepSchema.parse(await handler(event, context));

    // Assess
    const key = `jobs/${event.job.jobId}/speakers.json`;
    expect(step).toEqual({ status: 'succeeded', output: { bucket: 'gorggle-processed', key } });
    const put = s3.commandCalls(PutObjectCommand, { Key: key })[0]!.args[0].input;
    const document = activeSpeakersDocumentSchema.parse(JSON.parse(String(put.Body)));
    expect(document).toMatchObject({ reason: 'no speech', model: { name: 'lr-asd', weights: LR_ASD_WEIGHTS } });
    // Seen from 0 to 0.4 s, every 0.2 s: on screen until half an interval later, frames 0 to 13.
    expect(document.tracks).toEqual([{ trackId: 'face-1', firstFrame: 0, scores: Array(14).fill(null) }]);
  });

  it('skips a video without sound, reading nothing', async () => {
    // Prepare
    const event = sample();
    const silent = { ...event, job: { ...event.job, media: { ...event.job.media, hasAudio: false } } };

    // Act
    const step = await handler(silent, context);

    // Assess
    expect(step).toEqual({ status: 'skipped', reason: 'no audio stream' });
    expect(s3.calls()).toHaveLength(0);
  });

  it('rejects an event that is not the task contract', async () => {
    await expect(handler({ job: { jobId: 'x' } } as unknown as ActiveSpeakerTaskInput, context)).rejects.toMatchObject({
      name: 'InvalidEventError',
    });
  });
});
