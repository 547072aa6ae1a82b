/** CTC decoding of per-frame log-probabilities [frames * vocabSize]: greedy and prefix beam search. */

export interface CtcResult {
  tokens: number[];
  /** Per token: the best frame log-prob where it was emitted. */
  tokenLogProbs: number[];
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** Best token per frame, repeats merged, blanks dropped. */
export function ctcGreedy(logProbs: Float32Array, frames: number, vocabSize: number, blank: number): CtcResult {
  const result: CtcResult = { tokens: [], tokenLogProbs: [] };
  let previous = blank;
  for (let frame = 0; frame < frames; frame++) {
    const row = logProbs.subarray(frame * vocabSize, (frame + 1) * vocabSize);
    let best = 0;
    let logProb = -Infinity;
    row.forEach((value, token) => {
      if (value > logProb) [best, logProb] = [token, value];
    });
    if (best !== blank && best === previous) {
      const last = result.tokenLogProbs.length - 1;
      result.tokenLogProbs[last] = Math.max(result.tokenLogProbs[last] ?? -Infinity, logProb);
    } else if (best !== blank) {
      result.tokens.push(best);
      result.tokenLogProbs.push(logProb);
    }
    previous = best;
  }
  return result;
}

interface Prefix {
  tokens: number[];
  tokenLogProbs: number[];
  /** log P(prefix, path ends in blank) and log P(prefix, path ends in its last token). */
  blank: number;
  nonBlank: number;
}

/**
 * Prefix beam search: sums the probability of every alignment of a labelling, so it can find
 * a more probable transcript than greedy. Each frame extends prefixes with its `beam` best
 * non-blank tokens (plus the repeat of each prefix's last token).
 */
export function ctcPrefixBeamSearch(
  logProbs: Float32Array,
  frames: number,
  vocabSize: number,
  blank: number,
  beam: number,
): CtcResult {
  let prefixes = new Map<string, Prefix>([['', { tokens: [], tokenLogProbs: [], blank: 0, nonBlank: -Infinity }]]);
  for (let frame = 0; frame < frames; frame++) {
    const row = logProbs.subarray(frame * vocabSize, (frame + 1) * vocabSize);
    const score = (token: number | undefined) => (token === undefined ? -Infinity : (row[token] ?? -Infinity));
    const candidates: number[] = [];
    for (let token = 0; token < vocabSize; token++) {
      if (token === blank) continue;
      let at = candidates.length;
      while (at > 0 && score(candidates[at - 1]) < score(token)) at--;
      if (at < beam) {
        candidates.splice(at, 0, token);
        if (candidates.length > beam) candidates.pop();
      }
    }
    const next = new Map<string, Prefix>();
    const entry = (tokens: number[], tokenLogProbs: number[]): Prefix => {
      const key = tokens.join(',');
      let prefix = next.get(key);
      if (!prefix) {
        prefix = { tokens, tokenLogProbs, blank: -Infinity, nonBlank: -Infinity };
        next.set(key, prefix);
      }
      return prefix;
    };
    for (const prefix of prefixes.values()) {
      const total = logAddExp(prefix.blank, prefix.nonBlank);
      const same = entry(prefix.tokens, prefix.tokenLogProbs);
      same.blank = logAddExp(same.blank, total + score(blank));
      const last = prefix.tokens.at(-1);
      if (last !== undefined) same.nonBlank = logAddExp(same.nonBlank, prefix.nonBlank + score(last));
      for (const token of candidates) {
        const logProb = score(token);
        const extended = entry([...prefix.tokens, token], [...prefix.tokenLogProbs, logProb]);
        // A repeat only starts a new token after a blank; otherwise it merges (handled above).
        const from = token === last ? prefix.blank : total;
        extended.nonBlank = logAddExp(extended.nonBlank, from + logProb);
      }
    }
    const kept = [...next.values()]
      .sort((a, b) => logAddExp(b.blank, b.nonBlank) - logAddExp(a.blank, a.nonBlank))
      .slice(0, beam);
    prefixes = new Map(kept.map((prefix) => [prefix.tokens.join(','), prefix]));
  }
  const [best] = prefixes.values();
  return { tokens: best?.tokens ?? [], tokenLogProbs: best?.tokenLogProbs ?? [] };
}
