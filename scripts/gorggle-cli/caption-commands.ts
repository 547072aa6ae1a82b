/**
 * `gorggle export` and `gorggle speakers`: the caption edits from the command line, through
 * the same use cases and S3 documents as the API (jobs/<jobId>/edits/v<N>.json, each new
 * version written with If-None-Match).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type * as z from 'zod';
import { S3EditsStore } from '../../functions/lib/adapters/s3-edits-store';
import { S3JobFiles } from '../../functions/lib/adapters/s3-job-files';
import { renameSpeaker } from '../../functions/lib/edits/caption-draft';
import { editedResult, readDraft, saveEdits } from '../../functions/lib/edits/caption-edits';
import { exportCaptions, readResult, type ExportedFile } from '../../functions/lib/edits/export-captions';
import { exportQuerySchema, renameSchema } from '../../functions/lib/edits/schemas';

export class CaptionCommandError extends Error {
  override readonly name = 'CaptionCommandError';
}

/** The CLI's layout options, by the export query's names. */
export const LAYOUT_OPTIONS = {
  'max-chars': 'maxLineChars',
  'max-lines': 'maxLines',
  'max-cps': 'maxCharsPerSec',
  'min-duration': 'minDurationSec',
  'max-duration': 'maxDurationSec',
  pause: 'pauseSec',
} as const;

export interface CaptionStore {
  s3: S3Client;
  processedBucket: string;
}

const problemsOf = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ');

export async function exportCommand(
  store: CaptionStore,
  jobId: string,
  options: Partial<Record<string, string | string[] | boolean>>,
): Promise<ExportedFile> {
  const query: Record<string, string> = {};
  for (const [option, name] of Object.entries(LAYOUT_OPTIONS)) {
    const value = options[option];
    if (typeof value === 'string') query[name] = value;
  }
  for (const name of ['format', 'track', 'version'] as const) {
    const value = options[name];
    if (typeof value === 'string') query[name] = value;
  }
  const parsed = exportQuerySchema.safeParse(query);
  if (!parsed.success) throw new CaptionCommandError(`Cannot export: ${problemsOf(parsed.error)}.`);
  const { format, track, version, ...rules } = parsed.data;
  return exportCaptions(
    jobId,
    { format, track, rules, ...(version !== undefined ? { version } : {}) },
    {
      files: new S3JobFiles(store.s3, store.processedBucket),
      edits: new S3EditsStore(store.s3, store.processedBucket),
    },
  );
}

/** "S1=Dana Cohen" → { id: 'S1', name: 'Dana Cohen' }. */
export function parseNameOption(value: string): { id: string; name: string } {
  const match = /^\s*([^=\s]+)\s*=(.*)$/s.exec(value);
  const parsed = renameSchema.safeParse({ id: match?.[1] ?? '', name: match?.[2] ?? '' });
  if (!match || !parsed.success) {
    throw new CaptionCommandError(
      `--name takes SPEAKER=NAME, e.g. --name S1="Dana Cohen"` +
        `${parsed.success ? '' : ` (${problemsOf(parsed.error)})`}; got ${JSON.stringify(value)}.`,
    );
  }
  return parsed.data;
}

export interface SpeakersOutcome {
  version: number;
  saved: boolean;
  speakers: Array<{
    id: string;
    name: string;
    defaultLabel: string;
    onScreen: boolean;
    faceId?: string;
    voices: string[];
  }>;
}

/** Lists the speakers with their names; with names given, saves them as a new version first. */
export async function speakersCommand(
  store: CaptionStore,
  jobId: string,
  names: readonly string[],
  savedBy = 'cli',
): Promise<SpeakersOutcome> {
  const files = new S3JobFiles(store.s3, store.processedBucket);
  const edits = new S3EditsStore(store.s3, store.processedBucket);
  const original = await readResult(jobId, files);
  const renames = names.map(parseNameOption);
  let saved = false;
  if (renames.length) {
    const latest = Math.max(0, ...(await edits.versions(jobId)).map((info) => info.version));
    let { draft } = await readDraft(original, latest, edits);
    for (const rename of renames) {
      const speaker = original.speakers.find((candidate) => candidate.id === rename.id);
      if (!speaker) {
        throw new CaptionCommandError(
          `Job ${jobId} has no speaker ${rename.id}; it has ${original.speakers.map((s) => s.id).join(', ') || 'none'}.`,
        );
      }
      draft = renameSpeaker(draft, speaker, rename.name);
    }
    await saveEdits(original, { basedOn: latest, ...draft }, savedBy, {
      store: edits,
      clock: { now: () => new Date() },
    });
    saved = true;
  }
  const { version, result } = await editedResult(original, edits);
  return {
    version,
    saved,
    speakers: result.speakers.map((speaker, index) => ({
      id: speaker.id,
      name: speaker.label,
      defaultLabel: original.speakers[index]?.label ?? speaker.label,
      onScreen: speaker.onScreen,
      ...(speaker.faceId ? { faceId: speaker.faceId } : {}),
      voices: speaker.voices,
    })),
  };
}

export function formatSpeakers(jobId: string, outcome: SpeakersOutcome): string {
  const header = outcome.version
    ? `Speakers of job ${jobId} (edits version ${outcome.version}${outcome.saved ? ', just saved' : ''}):`
    : `Speakers of job ${jobId} (no edits yet):`;
  if (!outcome.speakers.length) return `${header}\n  none: no one speaks.`;
  return [
    header,
    ...outcome.speakers.map((speaker) =>
      [
        `  ${speaker.id}  ${speaker.name}`,
        speaker.name !== speaker.defaultLabel ? ` (was ${speaker.defaultLabel})` : '',
        `: ${speaker.onScreen ? `face ${speaker.faceId ?? '?'}` : 'off screen'}`,
        speaker.voices.length ? `, voice ${speaker.voices.join(', ')}` : '',
      ].join(''),
    ),
  ].join('\n');
}
