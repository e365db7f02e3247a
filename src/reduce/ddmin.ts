/**
 * Delta debugging (Zeller and Hildebrandt's ddmin) over the indices 0..n-1: finds a 1-minimal
 * subset for which `test` holds (removing any single element makes it pass). Pure apart from the
 * test it is given; deterministic (chunks are contiguous runs of the current list, tried subsets
 * first, then complements); every candidate goes through the shared {@link EvaluationBudget}, which
 * memoises outcomes (no candidate is evaluated twice) and stops the search when its bound is hit,
 * leaving the best (smallest failing) subset found so far.
 */

/** Outcome of the predicate on one candidate: true when the failure still shows. */
export type CandidateTest = (subset: readonly number[]) => boolean | Promise<boolean>;

/** The worst case of ddmin for n elements: n² + 3n tests (Hildebrandt and Zeller). */
export function ddminBound(n: number): number {
  return n * n + 3 * n;
}

/** Shared by every phase of one reduction: memo cache, evaluation counter and bound. */
export class EvaluationBudget {
  readonly max: number;
  private readonly cache = new Map<string, boolean>();
  evaluations = 0;
  cacheHits = 0;
  /** True once a candidate could not be evaluated because the bound was reached. */
  exhausted = false;
  /** Called after every evaluation (progress). */
  onEvaluation?: (evaluations: number) => void;

  constructor(max: number) {
    this.max = max;
  }

  /**
   * The predicate's outcome for the candidate named by `key`, from the cache when it was tried
   * before; undefined when it would need an evaluation and the bound is reached.
   */
  async check(key: string, run: () => boolean | Promise<boolean>): Promise<boolean | undefined> {
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    if (this.evaluations >= this.max) {
      this.exhausted = true;
      return undefined;
    }
    this.evaluations++;
    const outcome = await run();
    this.cache.set(key, outcome);
    this.onEvaluation?.(this.evaluations);
    return outcome;
  }
}

export interface DdminResult {
  /** The smallest failing subset found, ascending. */
  subset: number[];
  /** False when the bound stopped the search before the subset was shown 1-minimal. */
  complete: boolean;
}

/** Splits `list` into `parts` contiguous chunks of near-equal size (the first ones longer). */
function split(list: readonly number[], parts: number): number[][] {
  const chunks: number[][] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const end = start + Math.floor((list.length - start) / (parts - i));
    chunks.push(list.slice(start, end));
    start = end;
  }
  return chunks;
}

/**
 * ddmin over `start` (indices ascending; the caller has established that `test` holds on it).
 * `key` turns a subset into its cache key; `test` runs the predicate.
 */
export async function ddmin(
  start: readonly number[],
  test: CandidateTest,
  budget: EvaluationBudget,
  key: (subset: readonly number[]) => string,
): Promise<DdminResult> {
  let current = [...start];
  let granularity = 2;
  const holds = (subset: number[]) => budget.check(key(subset), () => test(subset));
  while (current.length >= 2) {
    const chunks = split(current, granularity);
    let next: number[] | undefined;
    let nextGranularity = 2;
    for (const chunk of chunks) {
      const outcome = await holds(chunk);
      if (outcome === undefined) return { subset: current, complete: false };
      if (outcome) {
        next = chunk;
        break;
      }
    }
    // With two chunks each complement is the other chunk, already tried.
    if (next === undefined && granularity > 2) {
      for (const chunk of chunks) {
        const removed = new Set(chunk);
        const complement = current.filter((i) => !removed.has(i));
        const outcome = await holds(complement);
        if (outcome === undefined) return { subset: current, complete: false };
        if (outcome) {
          next = complement;
          nextGranularity = Math.max(granularity - 1, 2);
          break;
        }
      }
    }
    if (next !== undefined) {
      current = next;
      granularity = nextGranularity;
      continue;
    }
    if (granularity >= current.length) break;
    granularity = Math.min(granularity * 2, current.length);
  }
  return { subset: current, complete: true };
}
