/** User text quoted in messages, cut short: a megabyte-long token or tag must not make every message about it as long. */
const MAX_QUOTED = 60;

export function clip(text: string): string {
  if (text.length <= MAX_QUOTED) return text;
  // Cut before a high surrogate, not between it and its low half.
  const c = text.charCodeAt(MAX_QUOTED - 1);
  return `${text.slice(0, c >= 0xd800 && c <= 0xdbff ? MAX_QUOTED - 1 : MAX_QUOTED)}…`;
}
