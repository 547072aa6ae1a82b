import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpusRates, formatEvaluation, parseTranscriptsTsv } from '../../../scripts/gorggle-cli/evaluate';
import { runCli, resolveTarget } from '../../../scripts/gorggle-cli/main';
import { progressBar } from '../../../scripts/gorggle-cli/progress-display';
import { formatClock, formatJobReport } from '../../../scripts/gorggle-cli/report';
import { stageProgress } from '../../../scripts/gorggle-cli/stages';
import { localTarget, targetFromTerraformOutputs, TargetUnavailableError } from '../../../scripts/gorggle-cli/target';
import type { ResultDocument } from '../../../functions/lib/contracts/documents';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const TERRAFORM_OUTPUTS = {
  uploads_bucket_name: { value: 'gorggle-uploads-123456789012-eu-west-1', type: 'string', sensitive: false },
  processed_bucket_name: { value: 'gorggle-processed-123456789012-eu-west-1', type: 'string', sensitive: false },
  jobs_table_name: { value: 'gorggle-jobs', type: 'string', sensitive: false },
  state_machine_arn: {
    value: 'arn:aws:states:eu-west-1:123456789012:stateMachine:gorggle-pipeline',
    type: 'string',
    sensitive: false,
  },
};

describe('transcripts.tsv and WER', () => {
  it('reads file<TAB>reference lines after the header and rejects a line without a tab', () => {
    // Act
    const clips = parseTranscriptsTsv('file\treference\nbbaf2n.mpg\tbin blue at f two now\n\n# note\nx.mp4\thello\n');

    // Assess
    expect(clips).toEqual([
      { file: 'bbaf2n.mpg', reference: 'bin blue at f two now' },
      { file: 'x.mp4', reference: 'hello' },
    ]);
    expect(() => parseTranscriptsTsv('file\treference\nbroken line\n')).toThrow(/line 2 has no tab/);
  });

  it('weights the corpus WER by reference words and skips clips without a rate', () => {
    // Prepare
    const clips = [
      { file: 'a', reference: 'one two three four', status: 'COMPLETED', wer: { audio: 0.5, fused: 0 } },
      { file: 'b', reference: 'one two', status: 'COMPLETED', wer: { audio: 1, visual: 0.5 } },
    ];

    // Act
    const corpus = corpusRates(clips);

    // Assess: audio (2 + 2) / 6, visual 1 / 2, fused 0 / 4
    expect(corpus).toEqual({ audio: 0.6667, visual: 0.5, fused: 0 });
    expect(formatEvaluation({ clips, corpus })).toMatch(/corpus WER\s+0\.667\s+0\.500\s+0\.000/);
  });
});

describe('where the CLI sends requests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-cli-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a deployment from `terraform output -json`, taking the region from the state machine ARN', () => {
    // Act
    const target = targetFromTerraformOutputs(JSON.stringify(TERRAFORM_OUTPUTS), { profile: 'prod' });

    // Assess
    expect(target).toEqual({
      kind: 'aws',
      description: 'AWS eu-west-1 (profile prod)',
      region: 'eu-west-1',
      uploadsBucket: TERRAFORM_OUTPUTS.uploads_bucket_name.value,
      processedBucket: TERRAFORM_OUTPUTS.processed_bucket_name.value,
      jobsTable: 'gorggle-jobs',
      stateMachineArn: TERRAFORM_OUTPUTS.state_machine_arn.value,
      profile: 'prod',
    });
    expect(() => targetFromTerraformOutputs('{}', {})).toThrow(/terraform apply/);
  });

  it('uses --outputs for AWS and the lock file for the local stack', () => {
    // Prepare
    const outputs = path.join(dir, 'outputs.json');
    writeFileSync(outputs, JSON.stringify(TERRAFORM_OUTPUTS));
    writeFileSync(
      path.join(dir, 'local-stack.lock'),
      JSON.stringify({
        pid: process.pid,
        startedAt: new Date().toISOString(),
        endpoints: { s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2', sfn: 'http://127.0.0.1:3' },
      }),
    );

    // Act
    const aws = resolveTarget({ outputs, region: 'us-west-2' });
    const local = resolveTarget({ 'data-dir': dir });

    // Assess
    expect(aws).toMatchObject({ kind: 'aws', region: 'us-west-2', jobsTable: 'gorggle-jobs' });
    expect(local).toMatchObject({
      kind: 'local',
      endpoints: { s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2', sfn: 'http://127.0.0.1:3' },
      jobsTable: 'gorggle-jobs',
      uploadsBucket: 'gorggle-uploads-000000000000-us-east-1',
    });
  });

  it('says how to start a stack when none runs', () => {
    expect(() => localTarget(dir)).toThrow(TargetUnavailableError);
    expect(() => localTarget(dir)).toThrow(/make local/);
  });

  it('exits 1 with that message, and 2 with usage for an unknown command', async () => {
    // Prepare
    const missingStack = captureIo();
    const unknown = captureIo();

    // Act
    const missingCode = await runCli(['jobs', '--data-dir', dir], missingStack.io);
    const unknownCode = await runCli(['frobnicate'], unknown.io);

    // Assess
    expect(missingCode).toBe(1);
    expect(missingStack.err()).toMatch(/No local stack is running/);
    expect(unknownCode).toBe(2);
    expect(unknown.err()).toMatch(/Unknown command "frobnicate"[\s\S]*Usage: gorggle/);
  });
});

describe('files the pipeline would ignore', () => {
  it('refuses them at once, before looking for a stack, naming what it takes', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'gorggle-cli-ignored-'));
    const notes = path.join(dir, 'notes.txt');
    writeFileSync(notes, 'not media');
    const output = captureIo();

    // Act
    const code = await runCli(['process', notes, '--data-dir', dir], output.io);

    // Assess
    expect(code).toBe(1);
    expect(output.err()).toMatch(/notes\.txt: the pipeline ignores \.txt; it takes \.mp4, .*\.mp3, .*\.flac/);
    expect(output.err()).not.toMatch(/No local stack/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('what the CLI prints', () => {
  it('draws a bar and clock times', () => {
    expect(progressBar(0.5, 10)).toBe('[#####-----]  50%');
    expect(formatClock(75.3)).toBe('01:15.30');
  });

  it('prints the transcript, each modality with its reason, WER and the result keys', () => {
    // Prepare
    const result: ResultDocument = {
      version: '2.0',
      jobId: 'job1',
      source: { bucket: 'up', key: 'uploads/a.mp4' },
      speakers: [
        {
          id: 'S1',
          label: 'Speaker 1',
          onScreen: true,
          faceId: 'face-1',
          voices: ['spk_0'],
          speakingSec: 1.5,
          meanSpeakingScore: 1.25,
        },
      ],
      speakerEvidence: 'active-speaker',
      segments: [
        {
          start: 0.5,
          end: 2,
          speaker: 'S1',
          voice: 'spk_0',
          text: 'BIN BLUE',
          confidence: 0.9,
          audioText: 'been blue',
          visualText: 'BIN BLUE',
          face: { faceId: 'face-1', box: { left: 0, top: 0, width: 0.5, height: 0.5 } },
          words: [],
        },
      ],
      modalities: {
        transcribe: { status: 'succeeded' },
        faces: { status: 'succeeded' },
        activeSpeakers: { status: 'succeeded' },
        lipreading: { status: 'skipped', reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)' },
      },
      metrics: { durationSec: 3, words: 2, speakers: 1, wer: { audio: 0.5, visual: 0, fused: 0 } },
    };
    const target = targetFromTerraformOutputs(JSON.stringify(TERRAFORM_OUTPUTS), {});

    // Act
    const text = formatJobReport({
      target,
      snapshot: {
        jobId: 'job1',
        job: {
          jobId: 'job1',
          status: 'DEGRADED',
          source: { bucket: 'up', key: 'uploads/a.mp4', etag: 'e', size: 1 },
          kind: 'upload',
          stages: {},
          createdAt: '',
          updatedAt: '',
        },
        stages: stageProgress([]),
        terminal: true,
      },
      result,
      wallSeconds: 12.34,
    });

    // Assess
    expect(text).toContain('Job job1: DEGRADED in 12.3 s');
    expect(text).toContain('[00:00.50 -> 00:02.00] Speaker 1 (face-1): BIN BLUE');
    expect(text).toContain('audio:  been blue');
    expect(text).toContain('Speakers (told apart by active-speaker):');
    expect(text).toContain('S1 Speaker 1: face face-1, voice spk_0, 1.5 s, speaking score 1.25');
    expect(text).toMatch(/lipreading\s+skipped: no lip-reading model configured \(set GORGGLE_MODEL_DIR\)/);
    expect(text).toContain('WER       audio 0.50, visual 0.00, fused 0.00');
    expect(text).toContain(
      `s3://${TERRAFORM_OUTPUTS.processed_bucket_name.value}/jobs/job1/ result.json, captions.vtt`,
    );
  });
});
