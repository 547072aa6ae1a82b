/**
 * `make local`: starts the local stack, runs one video through the pipeline, prints the
 * fused transcript, each modality's status and where the results are, then serves until
 * Ctrl-C. With --once it stops the stack afterwards and exits 0 for COMPLETED or DEGRADED.
 * When a stack already runs (its lock file), the video goes to that one instead.
 *
 *   tsx scripts/local/make-local.ts [--video path] [--once] [--lipread-test-model] [--data-dir dir] [--random-ports]
 *
 * Lip reading uses GORGGLE_MODEL_DIR's model package. Without one it is skipped, and says
 * why; --lipread-test-model (make local LIPREAD_TEST_MODEL=1) serves the generated test
 * model instead, as a labelled plumbing check whose words never reach the captions.
 * --data-dir (default .gorggle) and --random-ports let tests run it beside other stacks.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../build/functions';
import { parseTranscriptsTsv } from '../gorggle-cli/evaluate';
import { GorggleClient } from '../gorggle-cli/gorggle-client';
import { exitCodeFor, processVideo, type ProcessedVideo } from '../gorggle-cli/process-video';
import { createProgressDisplay } from '../gorggle-cli/progress-display';
import { formatJobReport } from '../gorggle-cli/report';
import { DEFAULT_DATA_DIR, localTarget, targetForStack, type GorggleTarget } from '../gorggle-cli/target';
import { StackAlreadyRunningError } from '../local-stack/lock';
import { startLocalStack, type LocalStack } from '../local-stack/stack';
import { DEFAULT_SAMPLE_TEXT, makeSampleClip } from '../make-sample-clip';
import { awsUploadCommand, describeLipReadingModel } from './messages';
import { startOptionalApi, type RunningApi } from './optional-api';
import { DEFAULT_TELEGRAM_API_ROOT, startLocalBot, WebhookInUseError, type LocalBot } from './telegram-bot';

export const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');
/** The GRID clip `make local` shows when the fixtures are there. */
export const DEFAULT_GRID_CLIP = 'bbaf2n.mpg';

export interface SampleVideo {
  file: string;
  reference?: string;
  description: string;
}

/** VIDEO=..., else a GRID clip with its reference transcript, else the generated sample. */
export async function chooseVideo(video: string | undefined, gridDir = GRID_DIR): Promise<SampleVideo> {
  if (video) {
    const file = path.resolve(video);
    if (!existsSync(file)) throw new Error(`VIDEO=${video}: there is no such file (looked at ${file}).`);
    return { file, description: file };
  }
  const clip = path.join(gridDir, DEFAULT_GRID_CLIP);
  if (existsSync(clip)) {
    const tsv = path.join(gridDir, 'transcripts.tsv');
    const reference = existsSync(tsv)
      ? parseTranscriptsTsv(readFileSync(tsv, 'utf8')).find((entry) => entry.file === DEFAULT_GRID_CLIP)?.reference
      : undefined;
    return { file: clip, ...(reference ? { reference } : {}), description: `GRID clip ${clip}` };
  }
  const file = await makeSampleClip();
  return { file, reference: DEFAULT_SAMPLE_TEXT, description: `generated sample ${file}` };
}

async function runVideo(target: GorggleTarget, sample: SampleVideo, resultsDir: string): Promise<ProcessedVideo> {
  const client = new GorggleClient(target);
  try {
    console.log(`\nProcessing ${sample.description}${sample.reference ? ` (reference: "${sample.reference}")` : ''}`);
    const display = createProgressDisplay(process.stdout);
    const processed = await processVideo(client, sample.file, {
      reference: sample.reference,
      downloadDir: resultsDir,
      onUpload: (uploaded) =>
        console.log(`Uploaded to s3://${uploaded.bucket}/${uploaded.key} (job ${uploaded.jobId})`),
      onUpdate: (snapshot) => display.update(snapshot),
    });
    display.finish();
    console.log(
      `\n${formatJobReport({ target, snapshot: processed.snapshot, result: processed.result, localFiles: processed.localFiles, wallSeconds: processed.wallSeconds })}`,
    );
    return processed;
  } finally {
    client.close();
  }
}

function printStack(stack: LocalStack, api: RunningApi | undefined): void {
  console.log("Gorggle's local stack is running:");
  for (const [component, url] of Object.entries(stack.endpoints)) console.log(`  ${component.padEnd(12)} ${url}`);
  console.log(`  logs         ${stack.logDir}`);
  if (api) {
    console.log(`  web page     ${api.pageUrl}`);
    console.log(`  results API  ${api.apiUrl} (Authorization: Bearer ${api.token})`);
  }
  console.log(`\n${describeLipReadingModel(stack.lipReadingModel)}`);
}

/** The bot's functions talk to TELEGRAM_API_ROOT (a local Bot API server, say) and know the admins. */
function botFunctionEnvironment(): Record<string, Record<string, string>> {
  const environment: Record<string, string> = {};
  if (process.env.TELEGRAM_API_ROOT) environment.TELEGRAM_API_ROOT = process.env.TELEGRAM_API_ROOT;
  if (process.env.TELEGRAM_ADMIN_USER_IDS) environment.ADMIN_USER_IDS = process.env.TELEGRAM_ADMIN_USER_IDS;
  if (process.env.TELEGRAM_DATA_CONTACT) environment.DATA_CONTACT = process.env.TELEGRAM_DATA_CONTACT;
  return { 'telegram-bot': environment, 'contribution-feedback': { ...environment } };
}

/** y/N on the terminal; with no terminal the answer is no. */
async function askYesNo(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.log(`${question} No terminal to ask on: no.`);
    return false;
  }
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

async function startBotIfAsked(stack: LocalStack): Promise<LocalBot | undefined> {
  const token = process.env.TELEGRAM_BOT_TOKEN;
  if (!token) {
    console.log(
      '\nTelegram bot: not started. To run it here, set TELEGRAM_BOT_TOKEN to a bot token from @BotFather\n' +
        '(make local TELEGRAM_BOT_TOKEN=123456:ABC...). It polls Telegram, so it needs no public URL; give yourself\n' +
        'its admin commands with TELEGRAM_ADMIN_USER_IDS=<your Telegram user id>.',
    );
    return undefined;
  }
  try {
    const bot = await startLocalBot(stack, {
      token,
      apiRoot: process.env.TELEGRAM_API_ROOT || DEFAULT_TELEGRAM_API_ROOT,
      confirmWebhookRemoval: (url) => askYesNo(`Remove the webhook ${url} while the local bot runs?`),
      say: (line) => console.log(line),
    });
    console.log(`\nTelegram bot @${bot.username} is polling Telegram; its recordings go through this pipeline.`);
    return bot;
  } catch (error) {
    if (!(error instanceof WebhookInUseError)) throw error;
    console.log(`\n${error.message}`);
    return undefined;
  }
}

function printServing(stack: LocalStack): void {
  console.log(`
Serving until Ctrl-C. Meanwhile, from another terminal:
  npx gorggle process <video>     (or: make local VIDEO=<video>)
  npx gorggle jobs
  ${awsUploadCommand(stack.endpoints.s3, stack.names.uploadsBucket, stack.config.region)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      video: { type: 'string' },
      once: { type: 'boolean', default: false },
      'lipread-test-model': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'random-ports': { type: 'boolean', default: false },
    },
  });
  const sample = await chooseVideo(values.video || undefined);
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : DEFAULT_DATA_DIR;
  const resultsDir = path.join(dataDir, 'results');

  // A stack is already serving: hand it the video instead of failing on a busy port.
  let running: GorggleTarget | undefined;
  try {
    running = localTarget(dataDir);
  } catch {
    running = undefined;
  }
  if (running) {
    console.log(`A local stack is already running (${running.description}); sending the video to it.`);
    return exitCodeFor((await runVideo(running, sample, resultsDir)).snapshot);
  }

  console.log(
    'Starting the local stack (S3, DynamoDB, Step Functions, Lambda, Transcribe, Rekognition, lip reading, SSM, EventBridge)...',
  );
  const started = performance.now();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir,
      ...(values['random-ports'] ? { ports: 'random' as const } : {}),
      echoLogs: process.env.GORGGLE_ECHO_LOGS === '1',
      functionEnvironment: botFunctionEnvironment(),
      lipReadingTestModel: values['lipread-test-model'],
    });
  } catch (error) {
    if (error instanceof StackAlreadyRunningError) {
      console.error(`${error.message} It is still starting; run \`make local VIDEO=...\` again in a moment.`);
      return 2;
    }
    throw error;
  }
  let api: RunningApi | undefined;
  let bot: LocalBot | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await bot?.stop();
      await api?.close();
      await stack.stop();
    })());
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C while stopping quits at once.
    if (interrupted) process.exit(130);
    interrupted = true;
    console.log(`\n${signal}: stopping the local stack...`);
    stop().then(
      () => process.exit(signal === 'SIGINT' ? 130 : 143),
      (error: unknown) => {
        console.error('The local stack did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    api = await startOptionalApi(stack);
    console.log(`Started in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    printStack(stack, api);
    const processed = await runVideo(targetForStack(stack), sample, resultsDir);
    const code = exitCodeFor(processed.snapshot);
    if (values.once) {
      await stop();
      return code;
    }
    bot = await startBotIfAsked(stack);
    printServing(stack);
    return await new Promise<number>(() => {});
  } catch (error) {
    await stop();
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`make local failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
