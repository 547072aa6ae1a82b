/** One step of an alignment of sequence `a` (audio, the reference side) with `b` (visual). */
export type AlignmentStep<A, B> =
  | { kind: 'match'; a: A; b: B }
  | { kind: 'substitution'; a: A; b: B }
  /** Only in `a`: deleted from the point of view of `b`. */
  | { kind: 'deletion'; a: A }
  /** Only in `b`. */
  | { kind: 'insertion'; b: B };

/** Reads an index the loop bounds already guarantee. */
function itemAt<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new RangeError(`index ${index} outside 0..${list.length - 1}`);
  return item;
}

/** Unit-cost edit distances; cell(i, j) aligns a[0..i) with b[0..j). */
function distanceTable(a: readonly string[], b: readonly string[]) {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  const cell = (i: number, j: number) => table[i * width + j] ?? 0;
  for (let j = 0; j <= b.length; j++) table[j] = j;
  for (let i = 1; i <= a.length; i++) {
    table[i * width] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = cell(i - 1, j - 1) + (itemAt(a, i - 1) === itemAt(b, j - 1) ? 0 : 1);
      table[i * width + j] = Math.min(substitution, cell(i - 1, j) + 1, cell(i, j - 1) + 1);
    }
  }
  return cell;
}

export function editDistance(a: readonly string[], b: readonly string[]): number {
  return distanceTable(a, b)(a.length, b.length);
}

/**
 * A minimal-cost alignment of items by their keys, in sequence order. Among equally
 * cheap alignments it prefers a diagonal step (match or substitution), then a deletion,
 * then an insertion; `pairable` can veto a tied substitution of items that do not belong
 * together (e.g. words far apart in time).
 */
export function alignSequences<A, B>(
  a: readonly A[],
  b: readonly B[],
  keyOfA: (item: A) => string,
  keyOfB: (item: B) => string,
  pairable: (itemA: A, itemB: B) => boolean = () => true,
): AlignmentStep<A, B>[] {
  const keysA = a.map(keyOfA);
  const keysB = b.map(keyOfB);
  const cell = distanceTable(keysA, keysB);
  const steps: AlignmentStep<A, B>[] = [];
  let i = a.length;
  let j = b.length;
  while (i > 0 || j > 0) {
    const here = cell(i, j);
    const gapIsOptimal = (i > 0 && here === cell(i - 1, j) + 1) || (j > 0 && here === cell(i, j - 1) + 1);
    if (i > 0 && j > 0) {
      const same = itemAt(keysA, i - 1) === itemAt(keysB, j - 1);
      const vetoed = !same && gapIsOptimal && !pairable(itemAt(a, i - 1), itemAt(b, j - 1));
      if (here === cell(i - 1, j - 1) + (same ? 0 : 1) && !vetoed) {
        steps.push({ kind: same ? 'match' : 'substitution', a: itemAt(a, i - 1), b: itemAt(b, j - 1) });
        i--;
        j--;
        continue;
      }
    }
    if (i > 0 && here === cell(i - 1, j) + 1) {
      steps.push({ kind: 'deletion', a: itemAt(a, i - 1) });
      i--;
    } else {
      steps.push({ kind: 'insertion', b: itemAt(b, j - 1) });
      j--;
    }
  }
  return steps.reverse();
}
