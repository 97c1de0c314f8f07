/** A metric point as a live subscription sends it; value may be NaN or ±Infinity. */
export interface LivePoint {
  step: number;
  value: number;
  /** Epoch ms. */
  timestamp: number;
}

/** What one emission carries of a series: at most maxPoints of the points received since the last one. */
export interface ReservoirSample {
  points: LivePoint[];
  /** Points received since the last emission, all of them counted, shown or not. */
  received: number;
  downsampled: boolean;
}

interface Bucket {
  count: number;
  first: LivePoint;
  /** Extremes of the finite values (null while the bucket has none), first of equals. */
  min: LivePoint | null;
  max: LivePoint | null;
  /** Arrival order of min and max, to send them in the order they came. */
  minSeq: number;
  maxSeq: number;
}

export const MIN_RESERVOIR_POINTS = 2;

/**
 * The points of one series between two emissions, in memory bounded by maxPoints however many arrive (a
 * metric batch may carry 250,000 points). Up to maxPoints points are kept as they are. Past that, arriving points
 * are cut into buckets of equal count (a power of two, doubled by merging neighbours whenever the buckets would
 * show more than maxPoints points) and each bucket shows its smallest and its largest finite value (only its
 * first point when it has none): real points in arrival order, spikes kept, as runMetricSeries draws.
 */
export class PointReservoir {
  private buckets: Bucket[] = [];
  /** Points per bucket; 1 while nothing is downsampled. */
  private width = 1;
  private seq = 0;

  constructor(private readonly maxPoints: number) {
    if (!Number.isInteger(maxPoints) || maxPoints < MIN_RESERVOIR_POINTS) {
      throw new RangeError(`maxPoints must be an integer >= ${MIN_RESERVOIR_POINTS}, got ${maxPoints}`);
    }
  }

  get received(): number {
    return this.seq;
  }

  /** Buckets held now: never more than maxPoints. */
  get heldBuckets(): number {
    return this.buckets.length;
  }

  /** Points the next take() would send at most: one per bucket, two once they are downsampled. */
  get heldPoints(): number {
    return this.width === 1 ? this.buckets.length : 2 * this.buckets.length;
  }

  add(point: LivePoint): void {
    const seq = this.seq++;
    const finite = Number.isFinite(point.value);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.count < this.width) {
      last.count += 1;
      if (finite && (last.min === null || point.value < last.min.value)) {
        last.min = point;
        last.minSeq = seq;
      }
      if (finite && (last.max === null || point.value > last.max.value)) {
        last.max = point;
        last.maxSeq = seq;
      }
      return;
    }
    this.buckets.push({
      count: 1,
      first: point,
      min: finite ? point : null,
      max: finite ? point : null,
      minSeq: seq,
      maxSeq: seq,
    });
    while (this.buckets.length > this.capacity()) this.mergeNeighbours();
  }

  /** The sample since the last take, and a fresh start. */
  take(): ReservoirSample {
    const received = this.seq;
    const downsampled = this.width > 1;
    const points = downsampled ? this.extremes() : this.buckets.map((bucket) => bucket.first);
    this.buckets = [];
    this.width = 1;
    this.seq = 0;
    return { points, received, downsampled };
  }

  /** Buckets of one point show one point; wider ones up to two. */
  private capacity(): number {
    return this.width === 1 ? this.maxPoints : Math.floor(this.maxPoints / 2);
  }

  private mergeNeighbours(): void {
    const merged: Bucket[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const left = this.buckets[i];
      const right = this.buckets[i + 1];
      merged.push(right ? mergeBuckets(left, right) : left);
    }
    this.buckets = merged;
    this.width *= 2;
  }

  private extremes(): LivePoint[] {
    const points: LivePoint[] = [];
    for (const bucket of this.buckets) {
      if (bucket.min === null || bucket.max === null) points.push(bucket.first);
      else if (bucket.min === bucket.max) points.push(bucket.min);
      else if (bucket.minSeq < bucket.maxSeq) points.push(bucket.min, bucket.max);
      else points.push(bucket.max, bucket.min);
    }
    return points;
  }
}

function mergeBuckets(left: Bucket, right: Bucket): Bucket {
  const takeRightMin = right.min !== null && (left.min === null || right.min.value < left.min.value);
  const takeRightMax = right.max !== null && (left.max === null || right.max.value > left.max.value);
  return {
    count: left.count + right.count,
    first: left.first,
    min: takeRightMin ? right.min : left.min,
    minSeq: takeRightMin ? right.minSeq : left.minSeq,
    max: takeRightMax ? right.max : left.max,
    maxSeq: takeRightMax ? right.maxSeq : left.maxSeq,
  };
}
