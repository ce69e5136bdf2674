/** Binary search over anything ordered by index. */

/** The first index in [0, count) where `holds` is true, or count; `holds` must be false, then true. */
export function firstWhere(count: number, holds: (index: number) => boolean): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first index whose value is above `value` in an ascending array. */
export function firstAbove(values: ArrayLike<number>, value: number): number {
  return firstWhere(values.length, (i) => values[i] > value);
}
