/**
 * The commands people type, run as they run them (child processes, real exit codes), against
 * a local stack of this file's own: `make local ONCE=1` (scripts/local/make-local.ts) with a
 * stack already running and on its own, and `gorggle process`, `show`, `jobs` and `eval`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GorggleClient } from '../../scripts/gorggle-cli/gorggle-client';
import { localStackArtefacts, requireBuilt } from '../support/built-artifacts';
import { gridAvailable, gridClip, REPO_ROOT } from '../support/paths';
import { gridReferences, makeTextFile } from './support/media';
import { startTestStack, type TestStack } from './support/stack';

requireBuilt(await localStackArtefacts());
const ready = gridAvailable();

const SECONDS = 1000;
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const MAKE_LOCAL = path.join(REPO_ROOT, 'scripts', 'local', 'make-local.ts');
const GORGGLE = path.join(REPO_ROOT, 'scripts', 'gorggle-cli', 'gorggle.js');

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit is an outcome to check, not an error. */
function runCommand(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 420 * SECONDS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

const jobIdIn = (output: string) => /\(job ([0-9a-f]{32})\)/.exec(output)?.[1];

(ready ? describe : describe.skip)('make local ONCE=1 and the gorggle CLI', () => {
  let client: GorggleClient;
  let dataDir: string;
  let workDir: string;

  const gorggle = (...args: string[]) => runCommand(process.execPath, [GORGGLE, ...args, '--data-dir', dataDir]);
  const makeLocal = (...args: string[]) =>
    runCommand(TSX, [MAKE_LOCAL, ...args], { GORGGLE_API_PORT: '0', GORGGLE_MODEL_DIR: '' });

  let testStack: TestStack | undefined;

  beforeAll(async () => {
    testStack = await startTestStack('gorggle-cli');
    ({ client, dataDir, workDir } = testStack);
  }, 240 * SECONDS);

  afterAll(() => testStack?.stop(), 30 * SECONDS);

  it(
    'make local ONCE=1 sends the video to the stack already running, exits 0, and gorggle show prints the job',
    async () => {
      // Act
      const run = await makeLocal('--video', gridClip('swwp2s.mpg'), '--once', '--data-dir', dataDir);
      const jobId = jobIdIn(run.stdout);
      const shown = await gorggle('show', jobId ?? 'none');

      // Assess
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(run.stdout).toContain('A local stack is already running');
      expect(run.stdout).not.toContain('Starting the local stack');
      expect(jobId).toBeDefined();
      const job = await client.getJob(jobId!);
      expect(job?.status).toBe('COMPLETED');
      expect(run.stdout).toContain(`Job ${jobId}: COMPLETED`);
      // --once stopped nothing that it had not started.
      expect(existsSync(path.join(dataDir, 'local-stack.lock'))).toBe(true);
      expect((await client.listJobs(5)).map((row) => row.jobId)).toContain(jobId);

      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain(`Job ${jobId}: COMPLETED`);
      expect(shown.stdout).toContain('Transcript:');
      expect(job?.summary?.transcript).toMatch(/\w+/);
      for (const word of job!.summary!.transcript!.split(/\s+/)) expect(shown.stdout).toContain(word);
    },
    450 * SECONDS,
  );

  it(
    'make local ONCE=1 exits 1 when the job fails, and gorggle process --json says why with exit 1',
    async () => {
      // Prepare
      const notes = makeTextFile(workDir, 'notes.mp4');

      // Act
      const once = await makeLocal('--video', notes, '--once', '--data-dir', dataDir);
      const processed = await gorggle('process', notes, '--json');

      // Assess
      expect(once.code).toBe(1);
      expect(once.stdout).toMatch(/Job [0-9a-f]{32}: FAILED/);
      expect(processed.code).toBe(1);
      expect(JSON.parse(processed.stdout)).toMatchObject({
        status: 'FAILED',
        error: {
          name: 'UnsupportedMediaError',
          message: expect.stringMatching(/not a video or audio file we can read/),
        },
      });
      expect(await gorggle('show', 'f'.repeat(32))).toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`There is no job ${'f'.repeat(32)}`),
      });
    },
    450 * SECONDS,
  );

  it(
    'gorggle eval runs the clips of a transcripts.tsv and reports audio and fused WER (no visual WER: the default stack has no lip-reading model)',
    async () => {
      // Prepare: one GRID clip, read in place through a link.
      const evalDir = mkdtempSync(path.join(workDir, 'eval-'));
      const { file, reference } = gridReferences().find((clip) => clip.file === 'lbbc2a.mpg')!;
      symlinkSync(gridClip(file), path.join(evalDir, file));
      writeFileSync(path.join(evalDir, 'transcripts.tsv'), `file\treference\n${file}\t${reference}\n`);

      // Act
      const evaluated = await gorggle('eval', evalDir, '--json');

      // Assess
      expect(evaluated.code).toBe(0);
      const evaluation = JSON.parse(evaluated.stdout) as {
        clips: Array<{ file: string; status: string; wer: Record<string, number> }>;
        corpus: Record<string, number>;
      };
      expect(evaluation.clips).toEqual([
        {
          file,
          reference,
          jobId: expect.stringMatching(/^[0-9a-f]{32}$/),
          status: 'COMPLETED',
          wer: { audio: expect.any(Number), fused: expect.any(Number) },
          wallSeconds: expect.any(Number),
        },
      ]);
      expect(evaluation.corpus).toEqual(evaluation.clips[0]!.wer);
    },
    450 * SECONDS,
  );

  it(
    'make local ONCE=1 with no stack running starts one, exits 1 for a failed job, and stops it again',
    async () => {
      // Prepare
      const ownDataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-make-local-'));
      const notes = makeTextFile(workDir, 'more-notes.mp4');

      try {
        // Act
        const run = await makeLocal('--video', notes, '--once', '--data-dir', ownDataDir, '--random-ports');

        // Assess
        expect(run.code).toBe(1);
        expect(run.stdout).toContain('Starting the local stack');
        expect(run.stdout).toMatch(/Job [0-9a-f]{32}: FAILED/);
        expect(existsSync(path.join(ownDataDir, 'logs', 'stack.log'))).toBe(true);
        expect(existsSync(path.join(ownDataDir, 'local-stack.lock'))).toBe(false);
      } finally {
        rmSync(ownDataDir, { recursive: true, force: true });
      }
    },
    450 * SECONDS,
  );
});
