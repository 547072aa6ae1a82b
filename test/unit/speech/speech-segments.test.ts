import { DEFAULT_SPEECH_SETTINGS, speechSecondsOf, speechSegments } from '../../../functions/lib/speech/voice-activity';

/** 32 ms windows, as Silero gives at 16 kHz. */
const WINDOW = 0.032;

/** Probabilities per window from [fromSec, toSec, probability] runs over a silent background. */
function probabilities(durationSec: number, runs: Array<[number, number, number]>): Float32Array {
  const values = new Float32Array(Math.ceil(durationSec / WINDOW));
  for (const [from, to, probability] of runs) {
    for (let index = Math.round(from / WINDOW); index < Math.round(to / WINDOW); index++) values[index] = probability;
  }
  return values;
}

describe('speechSegments', () => {
  it('finds one spoken stretch and pads it by 30 ms on each side', () => {
    // Prepare
    const values = probabilities(3, [[0.512, 2.208, 0.95]]);

    // Act
    const segments = speechSegments(values, WINDOW, 3);

    // Assess
    expect(segments).toEqual([{ start: 0.482, end: 2.238 }]);
    expect(speechSecondsOf(segments)).toBe(1.756);
  });

  it('gives nothing for silence, and nothing for a blip shorter than 250 ms', () => {
    expect(speechSegments(probabilities(3, []), WINDOW, 3)).toEqual([]);
    expect(speechSegments(probabilities(3, [[1, 1.192, 0.99]]), WINDOW, 3)).toEqual([]);
  });

  it('keeps a word through a pause shorter than 100 ms and splits at a longer one', () => {
    // Prepare: a 64 ms gap, then a 320 ms gap
    const values = probabilities(4, [
      [0.32, 1.28, 0.9],
      [1.344, 2.016, 0.9],
      [2.336, 3.2, 0.9],
    ]);

    // Act
    const segments = speechSegments(values, WINDOW, 4);

    // Assess
    expect(segments).toEqual([
      { start: 0.29, end: 2.046 },
      { start: 2.306, end: 3.23 },
    ]);
  });

  it('stays in speech while the probability hovers between the exit threshold and the threshold', () => {
    // Prepare: 0.4 is under the 0.5 threshold but over the 0.35 exit threshold
    const values = probabilities(3, [
      [0.32, 0.96, 0.9],
      [0.96, 1.6, 0.4],
      [1.6, 1.92, 0.9],
    ]);

    // Act
    const segments = speechSegments(values, WINDOW, 3);

    // Assess
    expect(segments).toHaveLength(1);
  });

  it('does not start speech below the threshold, however long it lasts', () => {
    expect(speechSegments(probabilities(3, [[0, 3, 0.45]]), WINDOW, 3)).toEqual([]);
  });

  it('lets neighbours closer than two pads meet halfway, and ends speech that runs off the end at the end', () => {
    // Prepare: 100 ms pads, and a 160 ms pause: long enough to split, shorter than two pads
    const settings = { ...DEFAULT_SPEECH_SETTINGS, padSec: 0.1 };
    const values = probabilities(3, [
      [0.32, 1.28, 0.9],
      [1.44, 3, 0.9],
    ]);

    // Act
    const segments = speechSegments(values, WINDOW, 3, settings);

    // Assess: the 160 ms gap is under two 100 ms pads, so both ends meet in its middle
    expect(segments).toEqual([
      { start: 0.22, end: 1.36 },
      { start: 1.36, end: 3 },
    ]);
  });
});
