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

export async function greedySearch(step: DecoderStep, settings: SearchSettings): Promise<SearchResult> {
  const hypothesis: Hypothesis = { tokens: [], tokenLogProbs: [], score: 0 };
  for (let position = 0; ; position++) {
    const last = hypothesis.tokens.at(-1) ?? settings.startToken;
    const row = maskedRow(await step([last], null, position), 0, position, settings);
    const [best] = topK(row, 1);
    if (!best) throw new Error('the decoder scored every token -inf: its log-probabilities are broken');
    const [token, logProb] = best;
    if (token === settings.eos) return finish(hypothesis, logProb, settings.lenPenalty);
    hypothesis.tokens.push(token);
    hypothesis.tokenLogProbs.push(logProb);
    hypothesis.score += logProb;
  }
}

/**
 * Beam search: each step scores all live hypotheses in one batched decoder call, takes the
 * 2*beam best extensions, finalises eos among the top `beam`, and keeps `beam` live ones.
 * Stops when `beam` hypotheses have finished; the best normalised score wins.
 */
export async function beamSearch(step: DecoderStep, settings: SearchSettings): Promise<SearchResult> {
  const { beam, eos, lenPenalty } = settings;
  let live: Hypothesis[] = [{ tokens: [], tokenLogProbs: [], score: 0 }];
  let origin: number[] | null = null;
  const finished: SearchResult[] = [];
  for (let position = 0; position <= settings.maxLength && finished.length < beam && live.length > 0; position++) {
    const scores = await step(
      live.map((hypothesis) => hypothesis.tokens.at(-1) ?? settings.startToken),
      origin,
      position,
    );
    const candidates: Array<{ parent: number; token: number; logProb: number; score: number }> = [];
    live.forEach((hypothesis, parent) => {
      for (const [token, logProb] of topK(maskedRow(scores, parent, position, settings), 2 * beam)) {
        candidates.push({ parent, token, logProb, score: hypothesis.score + logProb });
      }
    });
    candidates.sort((a, b) => b.score - a.score);
    const next: Hypothesis[] = [];
    const nextOrigin: number[] = [];
    candidates.forEach((candidate, rank) => {
      const parent = live[candidate.parent];
      if (!parent) return;
      if (candidate.token === eos) {
        if (rank < beam && finished.length < beam) finished.push(finish(parent, candidate.logProb, lenPenalty));
      } else if (next.length < beam) {
        next.push({
          tokens: [...parent.tokens, candidate.token],
          tokenLogProbs: [...parent.tokenLogProbs, candidate.logProb],
          score: candidate.score,
        });
        nextOrigin.push(candidate.parent);
      }
    });
    live = next;
    origin = nextOrigin;
  }
  const best = finished.reduce<SearchResult | undefined>(
    (winner, result) => (!winner || result.normalizedScore > winner.normalizedScore ? result : winner),
    undefined,
  );
  if (!best) throw new Error('beam search finished no hypothesis: the decoder scored every token -inf');
  return best;
}

/** exp(mean log-prob of the emitted tokens and eos), in 0..1. */
export function sequenceConfidence(logProbs: readonly number[]): number {
  if (logProbs.length === 0) return 0;
  const mean = logProbs.reduce((sum, value) => sum + value, 0) / logProbs.length;
  return Math.min(1, Math.max(0, Math.exp(mean)));
}
