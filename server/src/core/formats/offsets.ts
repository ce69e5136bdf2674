/**
 * Offsets in annotation files count Unicode code points, as Python's strings do (Prodigy, spaCy, brat, Label Studio
 * since 2021); JavaScript strings count UTF-16 units. The two differ only after a character outside the BMP (an emoji).
 */
export class CodePoints {
  /** The UTF-16 offset of each code point boundary; absent when every character is in the BMP and offsets agree. */
  private readonly units?: Int32Array;
  /** The text's length in code points. */
  readonly length: number;

  constructor(text: string) {
    if (!/[\uD800-\uDFFF]/.test(text)) {
      this.length = text.length;
      return;
    }
    const units = [0];
    for (const char of text) units.push(units[units.length - 1] + char.length);
    this.units = Int32Array.from(units);
    this.length = units.length - 1;
  }

  /** The UTF-16 offset of code point offset `point` (0 ≤ point ≤ length). */
  toUnits(point: number): number {
    return this.units ? this.units[point] : point;
  }

  /** The code point offset of UTF-16 offset `unit` (a boundary between characters). */
  fromUnits(unit: number): number {
    const units = this.units;
    if (!units) return unit;
    let lo = 0;
    let hi = units.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (units[mid] <= unit) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
