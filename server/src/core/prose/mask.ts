/**
 * Hides what is not prose by overwriting it with spaces (line breaks kept), so that offsets in the masked text are
 * offsets in the document: front matter, code, HTML, URLs and Markdown markup never reach the model.
 */

export type ProseFormat = 'plaintext' | 'markdown';

/**
 * URLs (not their sentence-final punctuation), e-mail addresses and DOIs. An address starts where a run of its
 * characters starts: tried at every word boundary inside the run, a long run without '@' ("a.a.a…") took quadratic time.
 */
const URL = /\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>()\]]*(?:\([^\s<>()]*\)[^\s<>()\]]*)*[^\s<>()\].,;:!?'"]|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\bdoi:\s?\S+[^\s.,;:]/gi;

function blank(text: string): string {
  return text.replace(/[^\r\n]/g, ' ');
}

/** Masks every match of `pattern` (or only its first group when it has one). */
function maskPattern(text: string, pattern: RegExp): string {
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    const group = typeof rest[0] === 'string' ? (rest[0] as string) : undefined;
    if (group === undefined) return blank(match);
    const at = match.indexOf(group);
    return match.slice(0, at) + blank(group) + match.slice(at + group.length);
  });
}

export function maskNonProse(text: string, format: ProseFormat): string {
  return maskInline(maskBlocks(text, format), format);
}

/** What spans paragraphs: Markdown's front matter, code blocks and HTML comments (nothing in plain text). */
export function maskBlocks(text: string, format: ProseFormat): string {
  return format === 'plaintext' ? text : maskComments(maskCodeBlocks(maskFrontMatter(text)));
}

/** What stays inside a paragraph (URLs; in Markdown also inline code, HTML tags, links and markup), so that a
 * paragraph can be masked alone: an edit masks only the paragraphs it changed. */
export function maskInline(text: string, format: ProseFormat): string {
  if (format === 'plaintext') return maskPattern(text, URL);
  let masked = maskPattern(text, /``[^\r\n]+?``|`[^`\r\n]+`/g);
  masked = maskPattern(masked, /<\/?[A-Za-z][^<>]*>/g);
  // Link and image destinations, reference definitions, then bare URLs.
  masked = maskPattern(masked, /\]\([^()\s]*(?:\([^()]*\))?[^()]*\)/g);
  masked = maskPattern(masked, /^ {0,3}(\[[^\]\r\n]+\]:\s*\S+.*)$/gm);
  masked = maskPattern(masked, URL);
  return maskMarkup(masked);
}

/** HTML comments, each to the first `-->` after it: by indexOf, as a lazy regex rescans the rest of the text for every unclosed `<!--`. */
function maskComments(text: string): string {
  const parts: string[] = [];
  let at = 0;
  for (let open = text.indexOf('<!--'); open >= 0; open = text.indexOf('<!--', at)) {
    const close = text.indexOf('-->', open + 4);
    if (close < 0) break;
    parts.push(text.slice(at, open), blank(text.slice(open, close + 3)));
    at = close + 3;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** YAML (---) or TOML (+++) front matter at the very start. */
function maskFrontMatter(text: string): string {
  const match = /^(?:\uFEFF)?(---|\+\+\+)[ \t]*\r?\n[\s\S]*?\r?\n\1[ \t]*(?:\r?\n|$)/.exec(text);
  return match ? blank(match[0]) + text.slice(match[0].length) : text;
}

/** Fenced (``` or ~~~) and indented code blocks. */
function maskCodeBlocks(text: string): string {
  const lines = text.split(/(?<=\n)/);
  let fence: string | null = null;
  let previousBlank = true;
  let inIndentedCode = false;
  return lines
    .map((line) => {
      const content = line.replace(/\r?\n$/, '');
      if (fence) {
        if (new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(content)) fence = null;
        return blank(line);
      }
      const opening = /^ {0,3}(`{3,}|~{3,})/.exec(content);
      if (opening) {
        fence = opening[1];
        return blank(line);
      }
      const isBlank = content.trim() === '';
      const indented = /^(?: {4}|\t)/.test(content) && !/^\s*([-*+]|\d+[.)])\s/.test(content);
      inIndentedCode = !isBlank && indented && (previousBlank || inIndentedCode);
      previousBlank = isBlank;
      return inIndentedCode ? blank(line) : line;
    })
    .join('');
}

/** Heading markers, list bullets, block quotes, emphasis, table pipes and rules. */
function maskMarkup(text: string): string {
  let masked = maskPattern(text, /^( {0,3}(?:#{1,6}|>+|[-*+]|\d+[.)])(?=\s))/gm);
  masked = maskPattern(masked, /^( {0,3}(?:[-*_=]\s*){3,})$/gm);
  // Emphasis markers touching text on either side, opening and closing in one pass.
  masked = maskPattern(masked, /(?<=\S)(?:\*{1,3}|_{2,3}|~~)|(?:\*{1,3}|_{2,3}|~~)(?=\S)/g);
  masked = maskPattern(masked, /(\|)/g);
  return maskPattern(masked, /(!?\[|\])/g);
}
