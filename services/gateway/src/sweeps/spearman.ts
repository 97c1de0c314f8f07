/** Ranks 1..n, ties sharing their average rank (as scipy.stats.rankdata's default does). */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].value === order[start].value) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) ranks[order[i].index] = rank;
    start = end + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation of paired samples: Pearson's of their average ranks. Null below 3 pairs, or when
 * either side is constant (no order to correlate).
 */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) throw new RangeError('spearman: samples of different lengths');
  if (xs.length < 3) return null;
  const [rx, ry] = [averageRanks(xs), averageRanks(ys)];
  const mean = (rx.length + 1) / 2;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < rx.length; i++) {
    const [dx, dy] = [rx[i] - mean, ry[i] - mean];
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  if (varianceX === 0 || varianceY === 0) return null;
  return covariance / Math.sqrt(varianceX * varianceY);
}
