import { ctcGreedy, ctcPrefixBeamSearch } from '../src/model/ctc';
import { loadModelPackage, type Hypothesis, type LipReadingModel } from '../src/model/index';
import { beamSearch, greedySearch, type DecoderStep, type SearchSettings } from '../src/model/search';
import { Vocabulary } from '../src/model/vocab';
import { requireBuiltArtifacts, syntheticVideo, TEST_CTC_MODEL_DIR, TEST_MODEL_DIR } from './model-packages';

const EOS = 2;
const A = 4;
const B = 5;
const C = 6;
const VOCAB = 7;

/**
 * A fake decoder_step: scores depend on each hypothesis' whole history, which it rebuilds from
 * beamOrigin the way the real cache is reordered, so wrong origins give wrong scores.
 */
function fakeDecoder(next: (history: number[]) => Record<number, number>): { step: DecoderStep; calls: number[] } {
  let histories: number[][] = [];
  const calls: number[] = [];
  const step: DecoderStep = async (lastTokens, beamOrigin, position) => {
    calls.push(lastTokens.length);
    if (position === 0) {
      histories = lastTokens.map(() => []);
    } else {
      const rows = beamOrigin ?? lastTokens.map((_, i) => i);
      histories = rows.map((row, i) => [...histories[row]!, lastTokens[i]!]);
    }
    const scores = new Float32Array(lastTokens.length * VOCAB).fill(-Infinity);
    histories.forEach((history, row) => {
      for (const [token, p] of Object.entries(next(history))) scores[row * VOCAB + Number(token)] = Math.log(p);
    });
    return scores;
  };
  return { step, calls };
}

const settings = (beam: number, overrides: Partial<SearchSettings> = {}): SearchSettings => ({
  vocabSize: VOCAB,
  startToken: EOS,
  eos: EOS,
  bannedTokens: [0, 1],
  beam,
  lenPenalty: 1,
  maxLength: 10,
  ...overrides,
});

/** Greedy takes A (0.55) and ends at 0.55*0.4; the better sequence is B then eos (0.45*0.9). */
const gardenPath = (history: number[]): Record<number, number> => {
  if (history.length === 0) return { [A]: 0.55, [B]: 0.45 };
  if (history[0] === A) return { [EOS]: 0.4, [C]: 0.3, [B]: 0.3 };
  return { [EOS]: 0.9, [C]: 0.1 };
};

describe('seq2seq search', () => {
  it('beam search finds a more probable sequence than greedy, tracking the cache by beam origin', async () => {
    // Prepare
    const greedyDecoder = fakeDecoder(gardenPath);
    const beamDecoder = fakeDecoder(gardenPath);

    // Act
    const greedy = await greedySearch(greedyDecoder.step, settings(1, { lenPenalty: 0 }));
    const beam = await beamSearch(beamDecoder.step, settings(2, { lenPenalty: 0 }));

    // Assess
    expect(greedy.tokens).toEqual([A]);
    expect(beam.tokens).toEqual([B]);
    expect(beam.normalizedScore).toBeCloseTo(Math.log(0.45 * 0.9), 5);
    expect(beam.tokenLogProbs).toEqual([Math.fround(Math.log(0.45))]);
    // one batched decoder call per step: 1 hypothesis, then the beam
    expect(beamDecoder.calls).toEqual([1, 2]);
  });

  it('beam 1 equals greedy', async () => {
    // Act
    const greedy = await greedySearch(fakeDecoder(gardenPath).step, settings(1));
    const beamOne = await beamSearch(fakeDecoder(gardenPath).step, settings(1));

    // Assess
    expect(beamOne).toEqual(greedy);
  });

  it('forces eos at the maximum length', async () => {
    // Prepare: a decoder that never wants to stop
    const chatty = fakeDecoder(() => ({ [C]: 0.9, [EOS]: 0.1 }));

    // Act
    const beamOne = await beamSearch(chatty.step, settings(1, { maxLength: 4 }));
    const greedy = await greedySearch(
      fakeDecoder(() => ({ [C]: 0.9, [EOS]: 0.1 })).step,
      settings(1, { maxLength: 4 }),
    );

    // Assess
    expect(beamOne.tokens).toEqual([C, C, C, C]);
    expect(greedy.tokens).toEqual([C, C, C, C]);
  });

  it('normalises finished hypotheses by length^lenPenalty', async () => {
    // Prepare: "A eos" = 0.5*0.5, "B C eos" = 0.5*0.9*0.5; per token the long one is better
    const next = (history: number[]): Record<number, number> => {
      if (history.length === 0) return { [A]: 0.5, [B]: 0.5 };
      if (history[0] === A) return { [EOS]: 0.5, [C]: 0.5 };
      return history.length === 1 ? { [C]: 0.9, [EOS]: 0.1 } : { [EOS]: 0.5, [C]: 0.5 };
    };

    // Act
    const raw = await beamSearch(fakeDecoder(next).step, settings(2, { lenPenalty: 0 }));
    const normalised = await beamSearch(fakeDecoder(next).step, settings(2, { lenPenalty: 1 }));

    // Assess
    expect(raw.tokens).toEqual([A]);
    expect(normalised.tokens).toEqual([B, C]);
  });
});

describe('ctc search', () => {
  const frames = (...rows: number[][]) => Float32Array.from(rows.flat().map(Math.log));

  it('prefix beam search sums alignments; with beam 1 it is greedy', () => {
    // Prepare: blank 0, "a" 1; P("") = 0.6^2 = 0.36 but P("a") = 0.16 + 0.24 + 0.24 = 0.64
    const logProbs = frames([0.6, 0.4], [0.6, 0.4]);

    // Act
    const greedy = ctcGreedy(logProbs, 2, 2, 0);
    const beamOne = ctcPrefixBeamSearch(logProbs, 2, 2, 0, 1);
    const beamTwo = ctcPrefixBeamSearch(logProbs, 2, 2, 0, 2);

    // Assess
    expect(greedy.tokens).toEqual([]);
    expect(beamOne.tokens).toEqual(greedy.tokens);
    expect(beamTwo.tokens).toEqual([1]);
  });

  it('merges repeats unless a blank separates them', () => {
    // Prepare: a a _ a b b
    const logProbs = frames(
      [0.1, 0.8, 0.1],
      [0.1, 0.8, 0.1],
      [0.8, 0.1, 0.1],
      [0.1, 0.8, 0.1],
      [0.1, 0.1, 0.8],
      [0.1, 0.1, 0.8],
    );

    // Act
    const greedy = ctcGreedy(logProbs, 6, 3, 0);
    const beam = ctcPrefixBeamSearch(logProbs, 6, 3, 0, 4);

    // Assess
    expect(greedy.tokens).toEqual([1, 1, 2]);
    expect(beam.tokens).toEqual([1, 1, 2]);
    expect(greedy.tokenLogProbs).toEqual([
      Math.fround(Math.log(0.8)),
      Math.fround(Math.log(0.8)),
      Math.fround(Math.log(0.8)),
    ]);
  });
});

describe('detokenisation', () => {
  it("joins SentencePiece pieces on '▁' and drops control ids", () => {
    // Prepare
    const vocabulary = new Vocabulary(['<s>', '<pad>', '</s>', '<unk>', '▁HEL', 'LO', '▁', 'A'], {
      bos: 0,
      pad: 1,
      eos: 2,
      unk: 3,
    });

    // Act
    const text = vocabulary.detokenize([0, 4, 5, 6, 7, 2]);

    // Assess
    expect(text).toBe('HELLO A');
  });
});

/** Timings differ between runs; everything else must not. */
const withoutTimings = ({ timings: _timings, ...rest }: Hypothesis) => rest;

describe('decoding the test models', () => {
  let seq2seq: LipReadingModel;
  let ctc: LipReadingModel;
  const frames = 25;
  // Mid-grey is ambiguous for these models: the hardest case for search to agree on.
  const clips = [0.6, -0.6, 0.05, -0.05].map((level, i) => syntheticVideo(frames, level, 100 + i));

  beforeAll(async () => {
    requireBuiltArtifacts();
    [seq2seq, ctc] = await Promise.all([loadModelPackage(TEST_MODEL_DIR), loadModelPackage(TEST_CTC_MODEL_DIR)]);
  });

  afterAll(() => {
    seq2seq?.dispose();
    ctc?.dispose();
  });

  it('gives the same hypothesis on every run', async () => {
    // Act
    const first = await seq2seq.transcribe({ frames, video: clips[2] }, { beam: 4 });
    const second = await seq2seq.transcribe({ frames, video: clips[2] }, { beam: 4 });

    // Assess
    expect(first.tokens.length).toBeGreaterThan(0);
    expect(withoutTimings(second)).toEqual(withoutTimings(first));
  });

  it('seq2seq beam 1 equals greedy', async () => {
    for (const video of clips) {
      // Act
      const greedy = await seq2seq.transcribe({ frames, video }, { search: 'greedy' });
      const beamOne = await seq2seq.transcribe({ frames, video }, { beam: 1 });

      // Assess
      expect(withoutTimings(beamOne)).toEqual(withoutTimings(greedy));
    }
  });

  it('ctc prefix beam search with beam 1 equals greedy on clear input', async () => {
    // On ambiguous frames beam 1 may legitimately differ: it sums alignments, greedy does not.
    const clear = [0.6, -0.6, 0.3, -0.3].map((level, i) => syntheticVideo(frames, level, 200 + i));
    for (const video of clear) {
      // Act
      const greedy = await ctc.transcribe({ frames, video }, { search: 'greedy' });
      const beamOne = await ctc.transcribe({ frames, video }, { beam: 1 });

      // Assess
      expect(beamOne.tokens).toEqual(greedy.tokens);
      expect(beamOne.text).toBe(greedy.text);
    }
  });
});
