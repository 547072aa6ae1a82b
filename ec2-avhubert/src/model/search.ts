/**
 * Seq2seq search over an incremental decoder, fairseq SequenceGenerator-style. Pure: the
 * caller's `step` runs decoder_step and keeps the key/value cache.
 */

/**
 * Scores the next token for every live hypothesis: returns log-probs [B * vocabSize], row i for
 * lastTokens[i]. `beamOrigin[i]` is the row of the previous step that hypothesis i extends (null
 * when rows did not move: the first step, and greedy search).
 */
export type DecoderStep = (lastTokens: number[], beamOrigin: number[] | null, step: number) => Promise<Float32Array>;

export interface SearchSettings {
  vocabSize: number;
  startToken: number;
  eos: number;
  /** Never emitted (bos, pad): fairseq masks them. */
  bannedTokens: readonly number[];
  beam: number;
  lenPenalty: number;
  /** Tokens before the forced eos. */
  maxLength: number;
}

export interface SearchResult {
  /** Emitted tokens, eos excluded. */
  tokens: number[];
  tokenLogProbs: number[];
  eosLogProb: number;
  /** sum(log p) / (tokens + 1)^lenPenalty: what beam search ranks finished hypotheses by. */
  normalizedScore: number;
}

interface Hypothesis {
  tokens: number[];
  tokenLogProbs: number[];
  score: number;
}

/** Copies the row, applying fairseq's masks: banned tokens, no eos at step 0 (min_len 1), only eos at max length. */
function maskedRow(scores: Float32Array, row: number, step: number, settings: SearchSettings): Float32Array {
  const { vocabSize, eos, maxLength } = settings;
  const masked = scores.slice(row * vocabSize, (row + 1) * vocabSize);
  if (step >= maxLength) {
    const eosScore = masked[eos] ?? -Infinity;
    masked.fill(-Infinity);
    masked[eos] = eosScore;
    return masked;
  }
  for (const token of settings.bannedTokens) masked[token] = -Infinity;
  if (step === 0 && maxLength > 0) masked[eos] = -Infinity;
  for (let token = 0; token < vocabSize; token++) if (Number.isNaN(masked[token])) masked[token] = -Infinity;
  return masked;
}

/** The k best (token, log-prob) pairs of a row, best first; ties go to the lower token id. */
export function topK(row: Float32Array, k: number): Array<[number, number]> {
  const best: Array<[number, number]> = [];
  const valueAt = (index: number) => best[index]?.[1] ?? -Infinity;
  row.forEach((value, token) => {
    if (value === -Infinity || (best.length === k && value <= valueAt(k - 1))) return;
    let at = best.length;
    while (at > 0 && valueAt(at - 1) < value) at--;
    best.splice(at, 0, [token, value]);
    if (best.length > k) best.pop();
  });
  return best;
}

function finish(hypothesis: Hypothesis, eosLogProb: number, lenPenalty: number): SearchResult {
  const score = hypothesis.score + eosLogProb;
  return {
    tokens: hypothesis.tokens,
    tokenLogProbs: hypothesis.tokenLogProbs,
    eosLogProb,
    normalizedScore: score / (hypothesis.tokens.length + 1) ** lenPenalty,
  };
}

/**
 * A search that a caller drives one decoder step at a time, so the steps of several searches
 * (chunks, jobs) can run as one batched decoder call. Row i of the scores given to `advance`
 * belongs to `lastTokens()[i]`.
 */
export interface SearchState {
  readonly done: boolean;
  /** 0-based position of the tokens `lastTokens()` feeds. */
  readonly position: number;
  /** The live hypotheses' last tokens: the rows of the next decoder call. */
  lastTokens(): number[];
  /** Row of the previous call each live hypothesis extends; null when rows did not move. */
  origin(): number[] | null;
  /** Takes the log-probs [rows * vocabSize] of the live hypotheses, from row `rowOffset` on. */
  advance(scores: Float32Array, rowOffset?: number): void;
  /** The best finished hypothesis; throws if the search is not done or finished nothing. */
  result(): SearchResult;
}

/** Best token per step. */
export class GreedySearchState implements SearchState {
  private hypothesis: Hypothesis = { tokens: [], tokenLogProbs: [], score: 0 };
  private finished: SearchResult | null = null;
  position = 0;

  constructor(private readonly settings: SearchSettings) {}

  get done(): boolean {
    return this.finished !== null;
  }

  lastTokens(): number[] {
    return [this.hypothesis.tokens.at(-1) ?? this.settings.startToken];
  }

  origin(): null {
    return null;
  }

  advance(scores: Float32Array, rowOffset = 0): void {
    const [best] = topK(maskedRow(scores, rowOffset, this.position, this.settings), 1);
    if (!best) throw new Error('the decoder scored every token -inf: its log-probabilities are broken');
    const [token, logProb] = best;
    this.position++;
    if (token === this.settings.eos) {
      this.finished = finish(this.hypothesis, logProb, this.settings.lenPenalty);
      return;
    }
    this.hypothesis.tokens.push(token);
    this.hypothesis.tokenLogProbs.push(logProb);
    this.hypothesis.score += logProb;
  }

  result(): SearchResult {
    if (!this.finished) throw new Error('greedy search is not done');
    return this.finished;
  }
}

/**
 * Beam search: each step scores all live hypotheses in one batched decoder call, takes the
 * 2*beam best extensions, finalises eos among the top `beam`, and keeps `beam` live ones.
 * Stops when `beam` hypotheses have finished; the best normalised score wins.
 */
export class BeamSearchState implements SearchState {
  private live: Hypothesis[] = [{ tokens: [], tokenLogProbs: [], score: 0 }];
  private liveOrigin: number[] | null = null;
  private readonly finished: SearchResult[] = [];
  position = 0;

  constructor(private readonly settings: SearchSettings) {}

  get done(): boolean {
    return (
      this.position > this.settings.maxLength || this.finished.length >= this.settings.beam || this.live.length === 0
    );
  }

  lastTokens(): number[] {
    return this.live.map((hypothesis) => hypothesis.tokens.at(-1) ?? this.settings.startToken);
  }

  origin(): number[] | null {
    return this.liveOrigin;
  }

  advance(scores: Float32Array, rowOffset = 0): void {
    const { beam, eos, lenPenalty } = this.settings;
    const candidates: Array<{ parent: number; token: number; logProb: number; score: number }> = [];
    this.live.forEach((hypothesis, parent) => {
      for (const [token, logProb] of topK(
        maskedRow(scores, rowOffset + parent, this.position, this.settings),
        2 * beam,
      )) {
        candidates.push({ parent, token, logProb, score: hypothesis.score + logProb });
      }
    });
    candidates.sort((a, b) => b.score - a.score);
    const next: Hypothesis[] = [];
    const nextOrigin: number[] = [];
    candidates.forEach((candidate, rank) => {
      const parent = this.live[candidate.parent];
      if (!parent) return;
      if (candidate.token === eos) {
        if (rank < beam && this.finished.length < beam)
          this.finished.push(finish(parent, candidate.logProb, lenPenalty));
      } else if (next.length < beam) {
        next.push({
          tokens: [...parent.tokens, candidate.token],
          tokenLogProbs: [...parent.tokenLogProbs, candidate.logProb],
          score: candidate.score,
        });
        nextOrigin.push(candidate.parent);
      }
    });
    this.live = next;
    this.liveOrigin = nextOrigin;
    this.position++;
  }

  result(): SearchResult {
    const best = this.finished.reduce<SearchResult | undefined>(
      (winner, result) => (!winner || result.normalizedScore > winner.normalizedScore ? result : winner),
      undefined,
    );
    if (!best) throw new Error('beam search finished no hypothesis: the decoder scored every token -inf');
    return best;
  }
}

/** Runs a search to the end, one `step` call per position. */
export async function runSearch(state: SearchState, step: DecoderStep): Promise<SearchResult> {
  while (!state.done) state.advance(await step(state.lastTokens(), state.origin(), state.position));
  return state.result();
}

export function greedySearch(step: DecoderStep, settings: SearchSettings): Promise<SearchResult> {
  return runSearch(new GreedySearchState(settings), step);
}

export function beamSearch(step: DecoderStep, settings: SearchSettings): Promise<SearchResult> {
  return runSearch(new BeamSearchState(settings), step);
}

/** exp(mean log-prob of the emitted tokens and eos), in 0..1. */
export function sequenceConfidence(logProbs: readonly number[]): number {
  if (logProbs.length === 0) return 0;
  const mean = logProbs.reduce((sum, value) => sum + value, 0) / logProbs.length;
  return Math.min(1, Math.max(0, Math.exp(mean)));
}
