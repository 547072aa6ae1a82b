/**
 * The `gorggle` command. Talks to the running local stack (`make local`) by default, and to
 * a Terraform deployment on AWS when given --profile or --region.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { S3EditsStore } from '../../functions/lib/adapters/s3-edits-store';
import { editedResult } from '../../functions/lib/edits/caption-edits';
import { exportCommand, formatSpeakers, speakersCommand } from './caption-commands';
import { evaluateDirectory, formatEvaluation } from './evaluate';
import { GorggleClient, JobNotFoundError, JobWaitTimeoutError } from './gorggle-client';
import { assertProcessable, exitCodeFor, processVideo, UnprocessableFileError } from './process-video';
import { createProgressDisplay } from './progress-display';
import { formatJobLine, formatJobReport, jobJson } from './report';
import { awsTarget, DEFAULT_DATA_DIR, localTarget, TargetUnavailableError, type GorggleTarget } from './target';

export const USAGE = `Usage: gorggle <command> [options]

Commands:
  process <video>   Upload a video, follow its job live, then print the captions.
  jobs              List recent jobs, newest first.
  show <jobId>      Print one job: status, stages, transcript, result files.
  eval <dir>        Run every clip in <dir>/transcripts.tsv ("file<TAB>reference") and
                    report word error rates for audio, visual and fused text.
  export <jobId>    Print (or --out) the captions of the latest edits version.
  speakers <jobId>  List the speakers and their names; --name S1="Dana Cohen" names one
                    (repeatable) and saves a new edits version.

Options:
  --json                 Print JSON instead of text.
  --reference <text>     (process) Reference transcript; the result then reports WER.
  --out <dir|file>       (process) Also copy result.json and the captions into <dir>/<jobId>/;
                         (export) write the file here instead of printing it.
  --timeout <seconds>    (process, eval) Stop waiting after this long (default 900).
  --limit <n>            (jobs) How many jobs (default 20).
  --concurrency <n>      (eval) Clips in flight at once (default 4).
  --format <f>           (export) srt, vtt or json (default vtt).
  --track <t>            (export) fused (default), audio or visual.
  --version <n>          (export) An edits version (default: the latest; 0: as produced).
  --max-chars <n>        (export) Characters per line (default 42).
  --max-lines <n>        (export) Lines per caption (default 2).
  --max-cps <n>          (export) Reading speed, characters per second (default 17).
  --min-duration <s>     (export) Shortest caption in seconds (default 0.833).
  --max-duration <s>     (export) Longest caption in seconds (default 7).
  --pause <s>            (export) A pause longer than this starts a caption (default 0.7).
  --name <id=name>       (speakers) Name a speaker; repeat for more.
  --data-dir <dir>       The local stack's data folder (default .gorggle).
  --profile <name>       Use the deployment on AWS, signing with this profile.
  --region <region>      Use the deployment on AWS in this region.
  --terraform-dir <dir>  Where \`terraform output -json\` runs (default terraform/).
  --outputs <file>       A saved \`terraform output -json\` instead of running terraform.
  -h, --help             This text.

Without --profile/--region it talks to the local stack that \`make local\` starts.`;

export interface CliIo {
  stdout: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
}

/** Errors of export and speakers whose message says what to do. */
const CAPTION_ERRORS = [
  'CaptionCommandError',
  'ResultMissingError',
  'TrackUnavailableError',
  'StaleEditError',
  'EditVersionNotFoundError',
  'InvalidEditError',
];

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  json: { type: 'boolean', default: false },
  reference: { type: 'string' },
  out: { type: 'string' },
  timeout: { type: 'string' },
  limit: { type: 'string' },
  concurrency: { type: 'string' },
  format: { type: 'string' },
  track: { type: 'string' },
  version: { type: 'string' },
  'max-chars': { type: 'string' },
  'max-lines': { type: 'string' },
  'max-cps': { type: 'string' },
  'min-duration': { type: 'string' },
  'max-duration': { type: 'string' },
  pause: { type: 'string' },
  name: { type: 'string', multiple: true },
  'data-dir': { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  'terraform-dir': { type: 'string' },
  outputs: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function positiveNumber(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new UsageError(`--${option} takes a positive number, not "${value}".`);
  return parsed;
}

export function resolveTarget(values: {
  profile?: string;
  region?: string;
  'terraform-dir'?: string;
  outputs?: string;
  'data-dir'?: string;
}): GorggleTarget {
  if (values.profile || values.region || values.outputs) {
    return awsTarget({
      profile: values.profile,
      region: values.region,
      terraformDir: values['terraform-dir'],
      outputsFile: values.outputs,
    });
  }
  return localTarget(values['data-dir'] ? path.resolve(values['data-dir']) : DEFAULT_DATA_DIR);
}

export async function runCli(argv: readonly string[], io: CliIo = process): Promise<number> {
  const print = (text: string) => io.stdout.write(`${text}\n`);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, argument = ''] = positionals;
  const rest = positionals.slice(1);
  if (values.help || !command) {
    print(USAGE);
    return values.help ? 0 : 2;
  }
  let client: GorggleClient | undefined;
  try {
    const needsArgument = {
      process: '<video>',
      show: '<jobId>',
      eval: '<dir>',
      export: '<jobId>',
      speakers: '<jobId>',
    } as Record<string, string>;
    if (!Object.keys(needsArgument).includes(command) && command !== 'jobs') {
      throw new UsageError(`Unknown command "${command}".`);
    }
    if (needsArgument[command] && rest.length !== 1) {
      throw new UsageError(`gorggle ${command} takes one ${needsArgument[command]}.`);
    }
    if (command === 'process') assertProcessable(path.resolve(argument));
    client = new GorggleClient(resolveTarget(values));
    const target = client.target;
    const timeoutMs = positiveNumber(values.timeout, 'timeout', 900) * 1000;

    if (command === 'process') {
      const file = path.resolve(argument);
      const display = values.json ? undefined : createProgressDisplay(io.stderr as NodeJS.WriteStream);
      if (!values.json) io.stderr.write(`Uploading ${file} to ${target.description}...\n`);
      const processed = await processVideo(client, file, {
        reference: values.reference,
        timeoutMs,
        downloadDir: values.out ? path.resolve(values.out) : undefined,
        onUpload: (uploaded) => {
          if (!values.json)
            io.stderr.write(`Uploaded s3://${uploaded.bucket}/${uploaded.key}; job ${uploaded.jobId}\n`);
        },
        onUpdate: (snapshot) => display?.update(snapshot),
      });
      display?.finish();
      const { snapshot, result } = processed;
      if (values.json) print(JSON.stringify(jobJson(target, snapshot, result), null, 2));
      else {
        print(
          formatJobReport({
            target,
            snapshot,
            result,
            localFiles: processed.localFiles,
            wallSeconds: processed.wallSeconds,
          }),
        );
      }
      return exitCodeFor(snapshot);
    }

    if (command === 'export') {
      const file = await exportCommand(
        { s3: client.clients.s3, processedBucket: target.processedBucket },
        argument,
        values,
      );
      if (values.out) {
        await writeFile(path.resolve(values.out), file.body);
        io.stderr.write(
          `Wrote ${path.resolve(values.out)} (${file.version ? `edits version ${file.version}` : 'no edits: as produced'}).\n`,
        );
      } else {
        io.stdout.write(file.body);
      }
      return 0;
    }

    if (command === 'speakers') {
      const outcome = await speakersCommand(
        { s3: client.clients.s3, processedBucket: target.processedBucket },
        argument,
        values.name ?? [],
      );
      print(values.json ? JSON.stringify(outcome, null, 2) : formatSpeakers(argument, outcome));
      return 0;
    }

    if (command === 'jobs') {
      const jobs = await client.listJobs(positiveNumber(values.limit, 'limit', 20));
      if (values.json) print(JSON.stringify(jobs, null, 2));
      else if (jobs.length === 0) print(`No jobs yet on ${target.description}.`);
      else jobs.forEach((job) => print(formatJobLine(job)));
      return 0;
    }

    if (command === 'show') {
      const jobId = argument;
      const snapshot = await client.snapshot(jobId);
      if (!snapshot.job) {
        throw new JobNotFoundError(`There is no job ${jobId} on ${target.description}; \`gorggle jobs\` lists them.`);
      }
      const finished = snapshot.job.status === 'COMPLETED' || snapshot.job.status === 'DEGRADED';
      // Names and corrections from the latest edits version, as the page and downloads show them.
      const result = finished
        ? (
            await editedResult(
              await client.getResult(snapshot.job),
              new S3EditsStore(client.clients.s3, target.processedBucket),
            )
          ).result
        : undefined;
      print(
        values.json
          ? JSON.stringify(jobJson(target, snapshot, result), null, 2)
          : formatJobReport({ target, snapshot, result }),
      );
      return 0;
    }

    // eval
    const dir = path.resolve(argument);
    const evaluation = await evaluateDirectory(client, dir, {
      concurrency: positiveNumber(values.concurrency, 'concurrency', 4),
      timeoutMs,
      onClip: (clip) => {
        if (!values.json) io.stderr.write(`  ${clip.file}: ${clip.status}\n`);
      },
    });
    print(values.json ? JSON.stringify(evaluation, null, 2) : formatEvaluation(evaluation));
    return evaluation.clips.every((clip) => clip.status === 'COMPLETED' || clip.status === 'DEGRADED') ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    const known =
      CAPTION_ERRORS.includes((error as Error).name) ||
      error instanceof TargetUnavailableError ||
      error instanceof JobNotFoundError ||
      error instanceof JobWaitTimeoutError ||
      error instanceof UnprocessableFileError;
    io.stderr.write(`gorggle: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
