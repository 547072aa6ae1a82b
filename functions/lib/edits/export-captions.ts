/**
 * Downloads of a job's captions from its latest edits (or a version asked for), laid out by
 * the rules given: the fused track from the edited captions, each modality's track from its
 * own words with the speakers' names, and the edited result as JSON. Each says which version
 * it comes from: in its name, and inside WebVTT and JSON.
 */
import { lipReadingDocumentSchema, resultDocumentSchema, type ResultDocument } from '../contracts/documents';
import type { LayoutRules } from '../fuse/cues';
import { STAND_IN_LABEL } from '../fuse/fuse-job';
import { isStandInModel } from '../fuse/inputs';
import { visualWordGroups } from '../fuse/segments';
import { audioWordsFromTranscribe, transcribeOutputSchema } from '../fuse/transcribe-output';
import { editedResult, type EditsStore } from './caption-edits';
import { CONTENT_TYPES, captionText, fusedCues, modalityCues, versionNote } from './caption-files';
import type { ExportFormat, ExportTrack } from './schemas';

/** A job's documents by file name; undefined when the file does not exist. */
export interface JobFiles {
  read(jobId: string, file: string): Promise<string | undefined>;
}

export class ResultMissingError extends Error {
  override readonly name = 'ResultMissingError';
}

/** The track asked for has no words: its modality did not run, or failed. */
export class TrackUnavailableError extends Error {
  override readonly name = 'TrackUnavailableError';
}

export interface ExportRequest {
  format: ExportFormat;
  track: ExportTrack;
  version?: number;
  rules: LayoutRules;
}

export interface ExportedFile {
  /** 0 when there are no edits: the captions as fuse made them. */
  version: number;
  fileName: string;
  contentType: string;
  body: string;
}

export async function readResult(jobId: string, files: JobFiles): Promise<ResultDocument> {
  const text = await files.read(jobId, 'result.json');
  if (text === undefined) {
    throw new ResultMissingError(`Job ${jobId} has no result.json (yet). Wait until it is COMPLETED or DEGRADED.`);
  }
  return resultDocumentSchema.parse(JSON.parse(text));
}

const MODALITY_OF = { audio: 'transcribe', visual: 'lipreading' } as const;
const TRACK_NAMES = { fused: 'captions', audio: 'speech-only', visual: 'lip-reading' } as const;

async function modalityTrack(
  result: ResultDocument,
  track: 'audio' | 'visual',
  rules: LayoutRules,
  files: JobFiles,
): Promise<{ cues: ReturnType<typeof modalityCues>; notes: string[] }> {
  const unavailable = () => {
    const status = result.modalities[MODALITY_OF[track]];
    return new TrackUnavailableError(
      `Job ${result.jobId} has no ${track === 'audio' ? 'speech-only' : 'lip-reading'} track: ` +
        `${MODALITY_OF[track]} ${status.status}${status.reason ? ` (${status.reason})` : ''}. Download the fused captions instead.`,
    );
  };
  if (track === 'audio') {
    const text = await files.read(result.jobId, 'transcribe.json');
    if (text === undefined) throw unavailable();
    const words = audioWordsFromTranscribe(transcribeOutputSchema.parse(JSON.parse(text)));
    return { cues: modalityCues(result, words, rules), notes: [] };
  }
  const text = await files.read(result.jobId, 'lipreading.json');
  if (text === undefined) throw unavailable();
  const document = lipReadingDocumentSchema.parse(JSON.parse(text));
  const words = visualWordGroups(document).flat();
  if (isStandInModel(document.model.name)) {
    return {
      cues: modalityCues(result, words, rules, STAND_IN_LABEL),
      notes: [`These words come from the stand-in test model ${document.model.name}, not from real lip reading.`],
    };
  }
  return { cues: modalityCues(result, words, rules), notes: [] };
}

/** A safe file name stem from the upload's name. */
function stemOf(sourceKey: string, jobId: string): string {
  const name = sourceKey.slice(sourceKey.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
  return (
    name
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 80) || jobId
  );
}

export async function exportCaptions(
  jobId: string,
  request: ExportRequest,
  ports: { files: JobFiles; edits: EditsStore },
): Promise<ExportedFile> {
  const original = await readResult(jobId, ports.files);
  const { version, result } = await editedResult(original, ports.edits, request.version);
  const fileName = `${stemOf(result.source.key, jobId)}.${TRACK_NAMES[request.track]}.${version ? `v${version}` : 'original'}.${request.format}`;
  if (request.format === 'json') {
    return {
      version,
      fileName,
      contentType: CONTENT_TYPES.json,
      body: `${JSON.stringify(result, null, 2)}\n`,
    };
  }
  const { cues, notes } =
    request.track === 'fused'
      ? { cues: fusedCues(result, request.rules), notes: [] as string[] }
      : await modalityTrack(result, request.track, request.rules, ports.files);
  return {
    version,
    fileName,
    contentType: CONTENT_TYPES[request.format],
    body: captionText(cues, request.format, [versionNote(result), ...notes]),
  };
}
