/**
 * Caption edits kept as versions beside the result: list them, read one, save a new one on
 * the latest, restore an earlier one as a new version. result.json is only ever read. A save
 * names the version it was made on; one made on an older version is refused, and two saves
 * racing for the same number are decided by the store's conditional create, so no update
 * is ever lost.
 */
import {
  EDITS_VERSION,
  SPEAKER_ID,
  UNKNOWN_SPEAKER,
  type EditsDocument,
  type ResultDocument,
} from '../contracts/documents';
import type { Clock } from '../ports';
import { applyDraft, draftOfEdits, draftOfResult, type CaptionDraft } from './caption-draft';

export interface EditVersionInfo {
  version: number;
  savedAt: string;
}

/** Where versions live: jobs/<jobId>/edits/v<N>.json in the processed bucket. */
export interface EditsStore {
  /** Saved versions, oldest first. */
  versions(jobId: string): Promise<EditVersionInfo[]>;
  read(jobId: string, version: number): Promise<EditsDocument | undefined>;
  /** Writes the document's version only if that version does not exist yet; false when it does. */
  createIfAbsent(document: EditsDocument): Promise<boolean>;
}

export const editsKey = (jobId: string, version: number) => `jobs/${jobId}/edits/v${version}.json`;
export const EDITS_KEY_PATTERN = /\/edits\/v([1-9]\d*)\.json$/;

/** A save made on a version that is no longer the latest. */
export class StaleEditError extends Error {
  override readonly name = 'StaleEditError';
  constructor(
    readonly basedOn: number,
    readonly latest: number,
  ) {
    super(
      `Not saved: you were editing version ${basedOn}, but version ${latest} has been saved since ` +
        '(in another tab, or by someone else). Reload to see the latest version, then make your change again.',
    );
  }
}

export class EditVersionNotFoundError extends Error {
  override readonly name = 'EditVersionNotFoundError';
}

/** Edits that do not fit the result they edit (an unknown speaker, a time past the end). */
export class InvalidEditError extends Error {
  override readonly name = 'InvalidEditError';
}

export interface EditsContext {
  store: EditsStore;
  clock: Clock;
}

export async function latestVersion(jobId: string, store: EditsStore): Promise<number> {
  return Math.max(0, ...(await store.versions(jobId)).map((info) => info.version));
}

/** Slack for times past the media's end: fuse rounds, and lip-reading estimates can run over. */
const END_SLACK_SEC = 1;

/** Checks a draft against the result it edits. */
export function checkDraft(result: ResultDocument, draft: CaptionDraft): void {
  const known = new Set(result.speakers.map((speaker) => speaker.id));
  const problems: string[] = [];
  for (const entry of draft.speakers) {
    if (!known.has(entry.id)) problems.push(`there is no speaker ${entry.id} to name`);
  }
  const end = Math.max(result.metrics.durationSec, ...result.segments.map((segment) => segment.end)) + END_SLACK_SEC;
  draft.segments.forEach((segment, index) => {
    const where = `caption ${index + 1}`;
    if (segment.speaker !== UNKNOWN_SPEAKER && (!SPEAKER_ID.test(segment.speaker) || !known.has(segment.speaker))) {
      problems.push(`${where}: there is no speaker ${segment.speaker}`);
    }
    if (segment.end > end) problems.push(`${where}: ends at ${segment.end} s, after the media (${end.toFixed(1)} s)`);
    segment.words.forEach((word, wordIndex) => {
      if (word.start > word.end || word.start < segment.start - 0.001 || word.end > segment.end + 0.001) {
        problems.push(`${where}, word ${wordIndex + 1} ("${word.text}"): its time must lie within the caption`);
      }
    });
  });
  if (problems.length) {
    throw new InvalidEditError(
      `The edits do not fit this job's captions: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}.`,
    );
  }
}

/** A version's draft: 0 is the result itself. */
export async function readDraft(
  result: ResultDocument,
  version: number,
  store: EditsStore,
): Promise<{ draft: CaptionDraft; document?: EditsDocument }> {
  if (version === 0) return { draft: draftOfResult(result) };
  const document = await store.read(result.jobId, version);
  if (!document) {
    throw new EditVersionNotFoundError(
      `Job ${result.jobId} has no edits version ${version}. List the versions to see which exist.`,
    );
  }
  return { draft: draftOfEdits(document), document };
}

/** The result with a version applied (the latest when none is named), and which version that is. */
export async function editedResult(
  result: ResultDocument,
  store: EditsStore,
  version?: number,
): Promise<{ version: number; result: ResultDocument }> {
  const chosen = version ?? (await latestVersion(result.jobId, store));
  const { draft, document } = await readDraft(result, chosen, store);
  return {
    version: chosen,
    result: document ? applyDraft(result, draft, { version: chosen, savedAt: document.savedAt }) : result,
  };
}

export interface SaveRequest {
  basedOn: number;
  speakers: CaptionDraft['speakers'];
  segments: CaptionDraft['segments'];
  summary?: string;
  restoredFrom?: number;
}

/** Saves the draft as version basedOn + 1, if basedOn is still the latest. */
export async function saveEdits(
  result: ResultDocument,
  request: SaveRequest,
  savedBy: string,
  context: EditsContext,
): Promise<EditsDocument> {
  const draft: CaptionDraft = {
    speakers: request.speakers,
    segments: [...request.segments].sort((a, b) => a.start - b.start),
  };
  checkDraft(result, draft);
  const latest = await latestVersion(result.jobId, context.store);
  if (request.basedOn !== latest) {
    if (request.basedOn > latest) {
      throw new EditVersionNotFoundError(
        `Job ${result.jobId} has no edits version ${request.basedOn} to build on (the latest is ${latest}).`,
      );
    }
    throw new StaleEditError(request.basedOn, latest);
  }
  const document: EditsDocument = {
    version: EDITS_VERSION,
    jobId: result.jobId,
    number: latest + 1,
    basedOn: latest,
    ...(request.restoredFrom !== undefined ? { restoredFrom: request.restoredFrom } : {}),
    savedAt: context.clock.now().toISOString(),
    savedBy,
    summary: request.summary ?? describeChange(result, draft),
    speakers: draft.speakers,
    segments: draft.segments,
  };
  if (!(await context.store.createIfAbsent(document))) {
    // Someone saved the same number between our look and our write.
    throw new StaleEditError(request.basedOn, await latestVersion(result.jobId, context.store));
  }
  return document;
}

/** Makes an earlier version the latest again, as a new version: history is never rewritten. */
export async function restoreVersion(
  result: ResultDocument,
  version: number,
  basedOn: number,
  savedBy: string,
  context: EditsContext,
): Promise<EditsDocument> {
  const { draft } = await readDraft(result, version, context.store);
  return saveEdits(
    result,
    { basedOn, ...draft, restoredFrom: version, summary: `restored version ${version}` },
    savedBy,
    context,
  );
}

/** A short account of a save for the version list, when the caller gave none. */
function describeChange(result: ResultDocument, draft: CaptionDraft): string {
  const named = draft.speakers.map((entry) => `${entry.id} "${entry.name}"`);
  const parts = [
    named.length ? `names: ${named.join(', ')}` : '',
    `${draft.segments.length} captions`,
    `${draft.segments.reduce((sum, segment) => sum + segment.words.filter((word) => word.edited).length, 0)} corrected words`,
  ].filter(Boolean);
  const summary = parts.join('; ');
  return summary.length > 200 ? `${summary.slice(0, 199)}…` : summary;
}
