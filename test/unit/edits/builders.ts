import {
  resultDocumentSchema,
  type EditsDocument,
  type ResultDocument,
} from '../../../functions/lib/contracts/documents';
import type { EditVersionInfo, EditsStore } from '../../../functions/lib/edits/caption-edits';
import type { JobFiles } from '../../../functions/lib/edits/export-captions';

export const JOB_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00';

/** Words [text, start, end] said by one speaker. */
type Spoken = Array<[string, number, number]>;

function segment(speaker: string, words: Spoken, faceId?: string) {
  const start = words[0]![1];
  const end = words.at(-1)![2];
  const text = words.map(([word]) => word).join(' ');
  return {
    start,
    end,
    speaker,
    voice: 'spk_0',
    text,
    confidence: 0.9,
    audioText: text,
    visualText: '',
    ...(faceId ? { face: { faceId, box: { left: 0.1, top: 0.1, width: 0.2, height: 0.3 } } } : {}),
    words: words.map(([word, wordStart, wordEnd]) => ({
      start: wordStart,
      end: wordEnd,
      text: word,
      confidence: 0.9,
      source: 'audio' as const,
      speaker,
    })),
  };
}

/** Two people: Speaker 1 asks, Speaker 2 answers. */
export function twoPersonResult(): ResultDocument {
  return resultDocumentSchema.parse({
    version: '2.0',
    jobId: JOB_ID,
    source: { bucket: 'uploads', key: 'uploads/abc/interview <1>.mp4' },
    speakers: [
      { id: 'S1', label: 'Speaker 1', onScreen: true, faceId: 'face-1', voices: ['spk_0'], speakingSec: 1.5 },
      { id: 'S2', label: 'Speaker 2', onScreen: true, faceId: 'face-2', voices: ['spk_1'], speakingSec: 0.9 },
    ],
    segments: [
      segment(
        'S1',
        [
          ['are', 0.5, 0.7],
          ['you', 0.75, 0.9],
          ['reddy', 0.95, 1.3],
          ['now', 1.35, 1.6],
        ],
        'face-1',
      ),
      segment(
        'S2',
        [
          ['yes', 2.0, 2.3],
          ['I', 2.35, 2.45],
          ['am', 2.5, 2.9],
        ],
        'face-2',
      ),
    ],
    modalities: {
      transcribe: { status: 'succeeded' },
      faces: { status: 'succeeded' },
      activeSpeakers: { status: 'succeeded' },
      lipreading: { status: 'skipped', reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)' },
    },
    metrics: { durationSec: 4, words: 7, speakers: 2 },
  });
}

/** Versions in memory, with S3's create-if-absent: a second write of one version loses. */
export class MemoryEditsStore implements EditsStore {
  readonly documents = new Map<number, EditsDocument>();
  /** Runs between a save's look at the latest version and its write: a competing tab. */
  beforeCreate?: () => Promise<void>;

  async versions(): Promise<EditVersionInfo[]> {
    return [...this.documents.values()]
      .map((document) => ({ version: document.number, savedAt: document.savedAt }))
      .sort((a, b) => a.version - b.version);
  }

  async read(_jobId: string, version: number): Promise<EditsDocument | undefined> {
    return this.documents.get(version);
  }

  async createIfAbsent(document: EditsDocument): Promise<boolean> {
    const competing = this.beforeCreate;
    this.beforeCreate = undefined;
    await competing?.();
    if (this.documents.has(document.number)) return false;
    this.documents.set(document.number, structuredClone(document));
    return true;
  }
}

export class MemoryJobFiles implements JobFiles {
  constructor(readonly files: Record<string, string>) {}
  async read(_jobId: string, file: string): Promise<string | undefined> {
    return this.files[file];
  }
}
