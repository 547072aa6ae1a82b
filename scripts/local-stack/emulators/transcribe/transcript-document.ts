import type { Utterance } from './pocketsphinx';

/** Amazon Transcribe's batch output file, as it writes it: every number a string. */
export interface TranscriptDocument {
  jobName: string;
  accountId: string;
  status: 'COMPLETED';
  results: {
    transcripts: Array<{ transcript: string }>;
    speaker_labels?: {
      channel_label: string;
      speakers: number;
      segments: Array<{
        start_time: string;
        end_time: string;
        speaker_label: string;
        items: Array<{ start_time: string; end_time: string; speaker_label: string }>;
      }>;
    };
    items: TranscriptItem[];
    audio_segments: Array<{
      id: number;
      transcript: string;
      start_time: string;
      end_time: string;
      speaker_label?: string;
      items: number[];
    }>;
  };
}

export type TranscriptItem =
  | {
      id: number;
      type: 'pronunciation';
      start_time: string;
      end_time: string;
      alternatives: [{ confidence: string; content: string }];
      speaker_label?: string;
    }
  | {
      id: number;
      type: 'punctuation';
      alternatives: [{ confidence: string; content: string }];
      speaker_label?: string;
    };

/** Twelve digits, as in a real account id; the local stack has no account. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * Only one speaker is ever labelled: pocketsphinx does no diarization, and guessing turns from
 * pauses would invent speakers. With ShowSpeakerLabels every item is `spk_0`.
 */
const ONLY_SPEAKER = 'spk_0';

/** "4.87": seconds with at most three decimals and at least one, as Transcribe writes them. */
export function formatSeconds(seconds: number): string {
  return formatDecimal(seconds, 3);
}

/** "0.998", "1.0". */
export function formatConfidence(value: number): string {
  return formatDecimal(Math.min(1, Math.max(0, value)), 4);
}

function formatDecimal(value: number, digits: number): string {
  const fixed = value.toFixed(digits).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}

/**
 * Builds Transcribe's output from pocketsphinx's utterances. Transcribe writes sentences:
 * each utterance becomes one, with its first word capitalised and a full stop (a
 * punctuation item with confidence "0.0" and no times, as Transcribe writes them) after it.
 * pocketsphinx's own vocabulary is lower case; "i" and its contractions are capitalised too.
 */
export function buildTranscriptDocument(
  jobName: string,
  utterances: readonly Utterance[],
  options: { speakerLabels: boolean },
): TranscriptDocument {
  const items: TranscriptItem[] = [];
  const audioSegments: TranscriptDocument['results']['audio_segments'] = [];
  const speakerSegments: NonNullable<TranscriptDocument['results']['speaker_labels']>['segments'] = [];
  const sentences: string[] = [];
  const speaker = options.speakerLabels ? { speaker_label: ONLY_SPEAKER } : {};

  for (const utterance of utterances) {
    const first = utterance.words[0];
    const last = utterance.words[utterance.words.length - 1];
    if (!first || !last) continue;
    const ids: number[] = [];
    const words = utterance.words.map((word, index) => {
      const content = index === 0 ? capitalise(word.word) : properCase(word.word);
      const id = items.length;
      ids.push(id);
      items.push({
        id,
        type: 'pronunciation',
        start_time: formatSeconds(word.start),
        end_time: formatSeconds(word.end),
        alternatives: [{ confidence: formatConfidence(word.confidence), content }],
        ...speaker,
      });
      return content;
    });
    ids.push(items.length);
    items.push({
      id: items.length,
      type: 'punctuation',
      alternatives: [{ confidence: '0.0', content: '.' }],
      ...speaker,
    });
    const sentence = `${words.join(' ')}.`;
    sentences.push(sentence);
    const start = formatSeconds(first.start);
    const end = formatSeconds(last.end);
    audioSegments.push({
      id: audioSegments.length,
      transcript: sentence,
      start_time: start,
      end_time: end,
      ...speaker,
      items: ids,
    });
    if (options.speakerLabels) {
      speakerSegments.push({
        start_time: start,
        end_time: end,
        speaker_label: ONLY_SPEAKER,
        items: utterance.words.map((word) => ({
          start_time: formatSeconds(word.start),
          end_time: formatSeconds(word.end),
          speaker_label: ONLY_SPEAKER,
        })),
      });
    }
  }

  return {
    jobName,
    accountId: LOCAL_ACCOUNT_ID,
    status: 'COMPLETED',
    results: {
      transcripts: [{ transcript: sentences.join(' ') }],
      ...(options.speakerLabels
        ? {
            speaker_labels: {
              channel_label: 'ch_0',
              speakers: speakerSegments.length > 0 ? 1 : 0,
              segments: speakerSegments,
            },
          }
        : {}),
      items,
      audio_segments: audioSegments,
    },
  };
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function properCase(word: string): string {
  return word === 'i' || word.startsWith("i'") ? capitalise(word) : word;
}
