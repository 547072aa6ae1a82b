import {
  attributeSpeakers,
  describeSpeakers,
  joinVoicesToFaces,
  type SpeechUnit,
} from '../../../functions/lib/fuse/speakers';
import { SpeakingScores } from '../../../functions/lib/fuse/speaking-scores';
import { activeSpeakersDocument } from './builders';

/** Six 0.3 s words a voice says from `from` on, each with the faces seen speaking then. */
function words(voice: string | undefined, from: number, faces: Array<string[]>): SpeechUnit[] {
  return faces.map((speaking, index) => ({
    start: from + index * 0.4,
    end: from + index * 0.4 + 0.3,
    ...(voice === undefined ? {} : { voice }),
    speakingFaces: speaking.map((faceId) => ({ faceId, score: 1.5 })),
  }));
}

describe('joining voices to faces', () => {
  it('joins one voice to both faces when two people share the one voice label', () => {
    // Prepare: the local speech stand-in labels everyone spk_0
    const units = [...words('spk_0', 0, [['A'], ['A'], ['A']]), ...words('spk_0', 3, [['B'], ['B'], ['B']])];

    // Act
    const { people, voiceFaces } = attributeSpeakers(units);

    // Assess
    expect(voiceFaces.get('spk_0')).toEqual(['A', 'B']);
    expect(people).toEqual(['face:A', 'face:A', 'face:A', 'face:B', 'face:B', 'face:B']);
  });

  it('makes two voices of one face one person', () => {
    // Prepare: diarisation split one speaker in two
    const units = [...words('spk_0', 0, [['A'], ['A']]), ...words('spk_1', 2, [['A'], ['A'], []])];

    // Act
    const { people } = attributeSpeakers(units);
    const { speakers } = describeSpeakers(
      units.map((unit, index) => ({ ...unit, ...(people[index] ? { person: people[index] } : {}) })),
    );

    // Assess
    expect(people).toEqual(['face:A', 'face:A', 'face:A', 'face:A', 'face:A']);
    expect(speakers).toEqual([
      { id: 'S1', label: 'Speaker 1', onScreen: true, faceId: 'A', voices: ['spk_0', 'spk_1'], speakingSec: 1.5 },
    ]);
  });

  it('makes a voice that no speaking face explains an off-screen person', () => {
    // Prepare: A talks on screen; a narrator (spk_1) is heard while A only listens, once twitching
    const units = [
      ...words('spk_0', 0, [['A'], ['A'], ['A']]),
      ...words('spk_1', 2, [[], [], ['A'], [], [], [], [], [], [], [], [], []]),
    ];

    // Act
    const { people, voiceFaces } = attributeSpeakers(units);

    // Assess
    expect(voiceFaces.get('spk_1')).toEqual([]);
    expect(new Set(people.slice(3))).toEqual(new Set(['voice:spk_1']));
  });

  it('keeps both people when two voices overlap, each on the face its voice joined', () => {
    // Prepare: both talk at once from 1.0 s; during the overlap both faces speak, and B looks the more sure
    const a = words('spk_0', 0, [['A'], ['A'], ['A'], ['B', 'A'], ['B', 'A']]);
    const b = words('spk_1', 1.2, [['B', 'A'], ['B', 'A'], ['B'], ['B']]);

    // Act
    const { people } = attributeSpeakers([...a, ...b]);

    // Assess
    expect(people.slice(0, a.length)).toEqual(Array(a.length).fill('face:A'));
    expect(people.slice(a.length)).toEqual(Array(b.length).fill('face:B'));
  });

  it('keeps a joined voice on its face while the face is turned away, and picks the nearest when it has two', () => {
    // Prepare: one voice over A then B; some words have no visible speaking face
    const units = [...words('spk_0', 0, [['A'], [], ['A'], ['A']]), ...words('spk_0', 3, [['B'], ['B'], [], ['B']])];

    // Act
    const { people } = attributeSpeakers(units);

    // Assess
    expect(people).toEqual(['face:A', 'face:A', 'face:A', 'face:A', 'face:B', 'face:B', 'face:B', 'face:B']);
  });

  it('gives a lip-read word the face seen speaking, or no one', () => {
    // Act
    const { people } = attributeSpeakers([...words(undefined, 0, [['C'], []])]);

    // Assess
    expect(people).toEqual(['face:C', undefined]);
  });

  it('does not join a face seen speaking for under a tenth of a voice', () => {
    // Prepare: 1 of 12 words
    const units = words('spk_0', 0, [['A'], ...Array<string[]>(11).fill([])]);

    // Act
    const joined = joinVoicesToFaces(units);

    // Assess
    expect(joined.get('spk_0')).toEqual([]);
  });
});

describe('the speaker list', () => {
  it('numbers people by first speech and sums their words, with the mean speaking score on screen', () => {
    // Act
    const { speakers, idOf } = describeSpeakers([
      { start: 2, end: 2.5, person: 'face:B', voice: 'spk_0', speakingScore: 1 },
      { start: 0.5, end: 1, person: 'voice:spk_1', voice: 'spk_1' },
      { start: 3, end: 3.25, person: 'face:B', voice: 'spk_0', speakingScore: 2 },
      { start: 4, end: 4.5 },
    ]);

    // Assess
    expect(speakers).toEqual([
      { id: 'S1', label: 'Speaker 1', onScreen: false, voices: ['spk_1'], speakingSec: 0.5 },
      {
        id: 'S2',
        label: 'Speaker 2',
        onScreen: true,
        faceId: 'B',
        voices: ['spk_0'],
        speakingSec: 0.75,
        meanSpeakingScore: 1.5,
      },
    ]);
    expect(idOf.get('face:B')).toBe('S2');
  });
});

describe('SpeakingScores', () => {
  const scores = new SpeakingScores(
    activeSpeakersDocument([
      { trackId: 'A', speaks: [[0, 1]], to: 2 },
      { trackId: 'B', speaks: [[0.8, 2]], from: 0.4, to: 2, speaking: 3 },
    ]),
  );

  it('averages a track over the frames of an interval and reads one frame for a short one', () => {
    expect(scores.meanScore('A', 0, 0.4)).toBe(2);
    expect(scores.meanScore('A', 0.8, 1.2)).toBe(0);
    expect(scores.meanScore('A', 0.5, 0.5)).toBe(2);
  });

  it('says nothing before a track starts, or for a track it does not know', () => {
    expect(scores.meanScore('B', 0, 0.3)).toBeUndefined();
    expect(scores.meanScore('Z', 0, 1)).toBeUndefined();
  });

  it('lists the faces speaking during an interval, the most confident first', () => {
    expect(scores.speakingDuring(0.2, 0.6)).toEqual([{ faceId: 'A', score: 2 }]);
    expect(scores.speakingDuring(1.2, 1.6)).toEqual([{ faceId: 'B', score: 3 }]);
    expect(scores.speakingDuring(0.8, 1).map((face) => face.faceId)).toEqual(['B', 'A']);
  });
});
