// "Did you mean" for a misspelt name: the closest candidate within a small edit distance.

/** Edit distance counting a swap of neighbours as one edit; stops early once over `max`. */
export function distance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate closest to `name` (case-insensitive), if within a third of its length (at least 1). */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const n = name.toLowerCase();
  const max = Math.max(1, Math.floor(n.length / 3));
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of candidates) {
    const d = distance(n, c.toLowerCase(), max);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}
