import type { ResultSpeaker } from '../contracts/documents';
import type { SpeakingFace } from './speaking-scores';
import { mean, roundTo } from './words';

/**
 * Speakers are people. A person is a face that speaks, or a voice that no speaking face
 * explains (someone off screen). Transcribe's voice labels join the faces seen speaking
 * while each voice sounds: one voice over two faces is two people (the local speech
 * stand-in has one voice), two voices over one face is one person.
 */

/** A stretch of speech to attribute: one heard word (with its voice) or one lip-read word. */
export interface SpeechUnit {
  start: number;
  end: number;
  /** Transcribe's voice label (spk_N); absent for words only the lips saw. */
  voice?: string;
  /** Faces seen speaking during the unit, the most likely first: the evidence. */
  speakingFaces: readonly SpeakingFace[];
}

/** `face:<trackId>` for someone on screen, `voice:<spk_N>` for someone heard off screen. */
export type PersonKey = `face:${string}` | `voice:${string}`;

export const faceKey = (faceId: string): PersonKey => `face:${faceId}`;
export const voiceKey = (voice: string): PersonKey => `voice:${voice}`;
export const faceOf = (person: PersonKey): string | undefined =>
  person.startsWith('face:') ? person.slice('face:'.length) : undefined;

/**
 * A face joins a voice when it is the most likely speaker for at least this share of the
 * voice's speech, over at least JOIN_MIN_UNITS words: enough to outvote a listener whose
 * lips twitch, few enough that one voice label over several people still joins them all.
 */
export const JOIN_SHARE = 0.1;
export const JOIN_MIN_UNITS = 2;

export interface Attribution {
  /** Per unit, who said it; undefined when no one can be named. */
  people: Array<PersonKey | undefined>;
  /** The faces joined to each voice, most speech first. */
  voiceFaces: ReadonlyMap<string, readonly string[]>;
}

const duration = (unit: { start: number; end: number }) => Math.max(unit.end - unit.start, 1e-3);
const middle = (unit: { start: number; end: number }) => (unit.start + unit.end) / 2;

/** Units said while another voice speaks; a forward sweep, as words are short. */
function overVoices(units: ReadonlyArray<SpeechUnit & { voice: string }>): Set<SpeechUnit> {
  const sorted = [...units].sort((a, b) => a.start - b.start);
  const crossed = new Set<SpeechUnit>();
  sorted.forEach((unit, index) => {
    for (let next = index + 1; next < sorted.length && (sorted[next]?.start ?? Infinity) < unit.end; next++) {
      const other = sorted[next];
      if (other && other.voice !== unit.voice) crossed.add(unit).add(other);
    }
  });
  return crossed;
}

/**
 * Which faces each voice is seen speaking with, by their share of its speech. Words said
 * over another voice are left out of the count when the voice has others: there, the face
 * seen speaking may be the other person's.
 */
export function joinVoicesToFaces(units: readonly SpeechUnit[]): Map<string, string[]> {
  const voiced = units.filter((unit): unit is SpeechUnit & { voice: string } => unit.voice !== undefined);
  const crossed = overVoices(voiced);
  const clear = voiced.filter((unit) => !crossed.has(unit));
  const joined = new Map<string, string[]>();
  for (const voice of new Set(voiced.map((unit) => unit.voice))) {
    const own = clear.filter((unit) => unit.voice === voice);
    const counted = own.length ? own : voiced.filter((unit) => unit.voice === voice);
    const total = counted.reduce((sum, unit) => sum + duration(unit), 0);
    const byFace = new Map<string, { seconds: number; units: number }>();
    for (const unit of counted) {
      const best = unit.speakingFaces[0];
      if (!best) continue;
      const tally = byFace.get(best.faceId) ?? { seconds: 0, units: 0 };
      tally.seconds += duration(unit);
      tally.units += 1;
      byFace.set(best.faceId, tally);
    }
    const faces = [...byFace]
      .filter(([, tally]) => tally.seconds / total >= JOIN_SHARE && tally.units >= JOIN_MIN_UNITS)
      .sort(([a, x], [b, y]) => y.seconds - x.seconds || a.localeCompare(b))
      .map(([faceId]) => faceId);
    joined.set(voice, faces);
  }
  return joined;
}

/**
 * Who said each unit. A heard word goes to the face its voice joined that speaks during it
 * (so overlapping speech keeps both people); when none of them visibly speaks then, to the
 * joined face seen speaking nearest in time (the person turned away); a voice that joined
 * no face is an off-screen person. A lip-read word goes to the face seen speaking.
 */
export function attributeSpeakers(units: readonly SpeechUnit[]): Attribution {
  const voiceFaces = joinVoicesToFaces(units);
  /** Where each voice was seen speaking through each of its joined faces, for the nearest-in-time rule. */
  const sightings = new Map<string, Array<{ time: number; faceId: string }>>();
  for (const unit of units) {
    if (unit.voice === undefined) continue;
    const joined = voiceFaces.get(unit.voice) ?? [];
    const seen = unit.speakingFaces.find((face) => joined.includes(face.faceId));
    if (!seen) continue;
    const list = sightings.get(unit.voice) ?? [];
    list.push({ time: middle(unit), faceId: seen.faceId });
    sightings.set(unit.voice, list);
  }

  const people = units.map((unit): PersonKey | undefined => {
    if (unit.voice === undefined) {
      const best = unit.speakingFaces[0];
      return best ? faceKey(best.faceId) : undefined;
    }
    const joined = voiceFaces.get(unit.voice) ?? [];
    if (!joined.length) return voiceKey(unit.voice);
    const speaking = unit.speakingFaces.find((face) => joined.includes(face.faceId));
    if (speaking) return faceKey(speaking.faceId);
    const time = middle(unit);
    const nearest = (sightings.get(unit.voice) ?? []).reduce<{ time: number; faceId: string } | undefined>(
      (best, sighting) => (!best || Math.abs(sighting.time - time) < Math.abs(best.time - time) ? sighting : best),
      undefined,
    );
    const fallback = nearest?.faceId ?? joined[0];
    return fallback === undefined ? voiceKey(unit.voice) : faceKey(fallback);
  });
  return { people, voiceFaces };
}

/** A fused word as the speaker list needs it. */
export interface AttributedWord {
  start: number;
  end: number;
  person?: PersonKey;
  voice?: string;
  /** The person's face's speaking logit over the word, when on screen and scored. */
  speakingScore?: number;
}

/**
 * The speaker list: one entry per person who said a word, numbered S1, S2, … in order of
 * first speech. Returns the list and the id of each person.
 */
export function describeSpeakers(words: readonly AttributedWord[]): {
  speakers: ResultSpeaker[];
  idOf: ReadonlyMap<PersonKey, string>;
} {
  const byPerson = new Map<PersonKey, AttributedWord[]>();
  for (const word of [...words].sort((a, b) => a.start - b.start)) {
    if (!word.person) continue;
    const list = byPerson.get(word.person) ?? [];
    list.push(word);
    byPerson.set(word.person, list);
  }
  const idOf = new Map<PersonKey, string>();
  const speakers: ResultSpeaker[] = [...byPerson.entries()].map(([person, spoken], index) => {
    const id = `S${index + 1}`;
    idOf.set(person, id);
    const faceId = faceOf(person);
    const voices = [...new Set(spoken.flatMap((word) => (word.voice === undefined ? [] : [word.voice])))].sort();
    const scores = spoken.flatMap((word) => (word.speakingScore === undefined ? [] : [word.speakingScore]));
    return {
      id,
      label: `Speaker ${index + 1}`,
      onScreen: faceId !== undefined,
      ...(faceId !== undefined ? { faceId } : {}),
      voices,
      speakingSec: roundTo(spoken.reduce((sum, word) => sum + Math.max(0, word.end - word.start), 0)),
      ...(scores.length ? { meanSpeakingScore: roundTo(mean(scores)) } : {}),
    };
  });
  return { speakers, idOf };
}
