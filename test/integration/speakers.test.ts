/**
 * Speakers as people, on the local stack as a user runs it: no lip-reading model package, so
 * lip reading is skipped with its reason, and who speaks comes from voice activity, active
 * speaker detection (LR-ASD) and the voices. One stack for the file (random ports, its own
 * data folder); the jobs run at once, as a burst of uploads would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { facesDocumentSchema, type ResultDocument } from '../../functions/lib/contracts/documents';
import type { JobRecord } from '../../functions/lib/contracts/job';
import { GorggleClient } from '../../scripts/gorggle-cli/gorggle-client';
import { processVideo, type ProcessedVideo } from '../../scripts/gorggle-cli/process-video';
import { targetForStack } from '../../scripts/gorggle-cli/target';
import { twoSpeakerAttribution } from '../../scripts/eval/two-speaker-attribution';
import { startLocalStack, type LocalStack } from '../../scripts/local-stack/stack';
import { gridAvailable } from '../support/paths';
import { localStackArtefacts, requireBuilt } from '../support/built-artifacts';
import { makeGridMp3, makeGridSilent, makeGridVideoOnly, makeTwoSpeakerClip, parseWebVtt } from './support/media';

requireBuilt(await localStackArtefacts());
if (!gridAvailable()) console.warn('test/integration/speakers skipped: needs ../shared/fixtures/grid.');

const SECONDS = 1000;
const JOB_LIMIT_MS = 420 * SECONDS;
/** A test may wait for the jobs queued before its own. */
const TEST_LIMIT_MS = 3 * JOB_LIMIT_MS;
/** Jobs in flight at once: enough to overlap the branches' waits, few enough not to starve 2 cores. */
const CONCURRENT_JOBS = 3;
const NO_MODEL = 'no lip-reading model configured (set GORGGLE_MODEL_DIR)';
/**
 * Left speaker, right speaker: pairs of fixture clips for the two-person videos. Two keep the
 * file's time small; test/integration/active-speaker-models.test.ts scores three more pairs
 * frame by frame, and pipeline.test.ts checks one speaker with positive scores on every clip.
 */
const PAIRS: Array<[string, string]> = [
  ['bbaf2n.mpg', 'lrwp9a.mpg'],
  ['sbia1a.mpg', 'brbk7n.mpg'],
];

function reasonsOf(job: JobRecord | undefined, result?: ResultDocument): string {
  return [
    job?.error?.message,
    ...(job?.summary?.degradedReasons ?? []),
    ...Object.values(result?.modalities ?? {}).map((status) => status.reason ?? status.error?.message),
  ]
    .filter(Boolean)
    .join('; ');
}

(gridAvailable() ? describe : describe.skip)('speakers on the local stack (no lip-reading model)', () => {
  let stack: LocalStack;
  let client: GorggleClient;
  let dataDir: string;
  let workDir: string;
  const runs = new Map<string, Promise<ProcessedVideo>>();
  const run = (name: string) => {
    const processed = runs.get(name);
    if (!processed) throw new Error(`no run named ${name}`);
    return processed;
  };
  const readText = async (key: string) => (await client.readProcessed(key)).toString('utf8');

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-speakers-'));
    workDir = mkdtempSync(path.join(tmpdir(), 'gorggle-speakers-media-'));
    stack = await startLocalStack({ ports: 'random', dataDir });
    client = new GorggleClient(targetForStack(stack));
    const inputs: Array<[string, Promise<string>]> = [
      ['mp3', makeGridMp3(workDir, 'swwp2s.mpg')],
      ['silent', makeGridSilent(workDir, 'bbaf2n.mpg')],
      ['video-only', makeGridVideoOnly(workDir, 'lbbc2a.mpg')],
      ...PAIRS.map(([left, right]): [string, Promise<string>] => [
        `pair ${left} ${right}`,
        makeTwoSpeakerClip(workDir, left, right),
      ]),
    ];
    // A few at a time; each test awaits its own.
    const slots: Array<Promise<unknown>> = [];
    inputs.forEach(([name, file], index) => {
      const turn = slots[index - CONCURRENT_JOBS] ?? Promise.resolve();
      const processed = turn
        .catch(() => undefined)
        .then(() => file)
        .then((made) => processVideo(client, made, { timeoutMs: JOB_LIMIT_MS }));
      processed.catch(() => undefined);
      slots.push(processed);
      runs.set(name, processed);
    });
  }, 120 * SECONDS);

  afterAll(async () => {
    await Promise.allSettled(runs.values());
    client?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }, 60 * SECONDS);

  it('says on the stack that lip reading has no model', () => {
    expect(stack.lipReadingModel).toEqual({ kind: 'none', reason: NO_MODEL });
  });

  it.each(PAIRS)(
    'tells the two people of %s | %s apart: 2 speakers tied to their faces, their words on them, captions naming them',
    async (left, right) => {
      // Act
      const { snapshot, result, uploaded } = await run(`pair ${left} ${right}`);
      const jobDir = `jobs/${uploaded.jobId}`;
      const faces = facesDocumentSchema.parse(JSON.parse(await readText(`${jobDir}/faces.json`)));

      // Assess
      expect({ status: snapshot.job?.status, reasons: reasonsOf(snapshot.job, result) }).toMatchObject({
        status: 'COMPLETED',
      });
      const attribution = twoSpeakerAttribution(result!, faces);
      expect(attribution.words).toBeGreaterThanOrEqual(6);
      expect(attribution.share).toBeGreaterThanOrEqual(0.95);
      expect(attribution.speakers.map(({ id, side }) => [id, side])).toEqual([
        ['S1', 'left'],
        ['S2', 'right'],
      ]);
      expect(result?.metrics.speakers).toBe(2);
      const captions = await readText(`${jobDir}/captions.vtt`);
      const cues = parseWebVtt(captions);
      expect(cues.every((cue) => /^<v Speaker [12]>/.test(cue.text))).toBe(true);
      expect(cues.find((cue) => cue.start < 3)?.text).toMatch(/^<v Speaker 1>Speaker 1: /);
      expect(cues.find((cue) => cue.start >= 3)?.text).toMatch(/^<v Speaker 2>Speaker 2: /);
      expect(await readText(`${jobDir}/captions.srt`)).toMatch(/Speaker 2: /);
    },
    TEST_LIMIT_MS,
  );

  it(
    'processes an .mp3 with speech alone: COMPLETED, faces skipped, a speaker from the voice',
    async () => {
      // Act
      const { snapshot, result } = await run('mp3');

      // Assess
      expect({ status: snapshot.job?.status, reasons: reasonsOf(snapshot.job, result) }).toMatchObject({
        status: 'COMPLETED',
      });
      expect(result?.modalities).toMatchObject({
        transcribe: { status: 'succeeded' },
        faces: { status: 'skipped', reason: 'no video stream' },
        activeSpeakers: { status: 'skipped' },
        lipreading: { status: 'skipped', reason: 'no video stream' },
      });
      expect(result?.metrics.words).toBeGreaterThan(0);
      expect(result?.speakerEvidence).toBe('voices');
      expect(result?.speakers).toEqual([expect.objectContaining({ id: 'S1', onScreen: false, voices: ['spk_0'] })]);
    },
    TEST_LIMIT_MS,
  );

  it(
    'returns no words for a video whose sound is silent: an empty success with the reason',
    async () => {
      // Act
      const { snapshot, result } = await run('silent');

      // Assess
      expect(snapshot.job?.status).toBe('COMPLETED');
      expect(result).toMatchObject({ emptyReason: 'no speech', segments: [], speakers: [] });
      expect(result?.metrics.words).toBe(0);
    },
    TEST_LIMIT_MS,
  );

  it(
    'skips lip reading with its reason for a video without sound, and invents no words',
    async () => {
      // Act
      const { snapshot, result } = await run('video-only');

      // Assess
      const job = snapshot.job;
      expect(result).toBeUndefined();
      expect(job).toMatchObject({ status: 'FAILED', error: { name: 'NothingUsableError' } });
      expect(job?.error?.message).toContain(`lipreading: skipped: ${NO_MODEL}`);
      expect(job?.stages.lipreading).toMatchObject({ status: 'skipped', facts: { reason: NO_MODEL } });
      expect(snapshot.stages.find((stage) => stage.stage === 'lipreading')?.status).toBe('skipped');
    },
    TEST_LIMIT_MS,
  );
});
