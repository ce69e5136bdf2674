/** Folding per sentence and document, and an outline of documents and sentences with their entity counts. */
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange, type Range } from 'vscode-languageserver';
import { sentenceEntities, sentenceTokens, type ConllAnalysis } from '../core/conll/analysis';

/** Outlines of huge files are cut here: the outline view gets slow long before this. */
const MAX_OUTLINE_SENTENCES = 10000;

interface DocumentSpan {
  start: number;
  end: number;
  /** Sentence indices [first, last). */
  sentences: [number, number];
}

/** Each -DOCSTART- section: from its marker to the end of its last sentence. */
function documentSpans(analysis: ConllAnalysis): DocumentSpan[] {
  const { docstarts, sentenceStarts, sentenceEnds } = analysis.structure;
  const spans: DocumentSpan[] = [];
  let s = 0;
  while (s < sentenceStarts.length && sentenceStarts[s] < (docstarts[0] ?? 0)) s++;
  docstarts.forEach((start, d) => {
    const next = docstarts[d + 1] ?? Number.MAX_SAFE_INTEGER;
    const first = s;
    while (s < sentenceStarts.length && sentenceStarts[s] < next) s++;
    spans.push({ start, end: s > first ? sentenceEnds[s - 1] : start, sentences: [first, s] });
  });
  return spans;
}

export function foldingRanges(analysis: ConllAnalysis): FoldingRange[] {
  const { sentenceStarts, sentenceEnds } = analysis.structure;
  const ranges: FoldingRange[] = documentSpans(analysis)
    .filter((d) => d.end > d.start)
    .map((d) => ({ startLine: d.start, endLine: d.end, kind: FoldingRangeKind.Region }));
  sentenceStarts.forEach((start, i) => {
    if (sentenceEnds[i] > start) ranges.push({ startLine: start, endLine: sentenceEnds[i] });
  });
  return ranges;
}

function lineRange(analysis: ConllAnalysis, start: number, end: number): Range {
  const last = analysis.index.line(end);
  return { start: { line: start, character: 0 }, end: { line: end, character: last.offset + last.text.length } };
}

function describeEntities(counts: Map<string, number>): string {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const parts = [...counts].map(([type, n]) => `${n} ${type}`).join(', ');
  return `${total} ${total === 1 ? 'entity' : 'entities'}${parts ? ` (${parts})` : ''}`;
}

export function documentSymbols(analysis: ConllAnalysis): DocumentSymbol[] {
  const { sentenceStarts, sentenceEnds } = analysis.structure;
  const count = Math.min(sentenceStarts.length, MAX_OUTLINE_SENTENCES);
  const sentences: { symbol: DocumentSymbol; counts: Map<string, number> }[] = [];
  for (let s = 0; s < count; s++) {
    const tokens = sentenceTokens(analysis, s);
    const counts = new Map<string, number>();
    for (const e of sentenceEntities(analysis, tokens)) counts.set(e.type || 'untyped', (counts.get(e.type || 'untyped') ?? 0) + 1);
    const preview = tokens.slice(0, 8).map((t) => t.columns[0]?.text ?? '').join(' ');
    const range = lineRange(analysis, sentenceStarts[s], sentenceEnds[s]);
    sentences.push({
      counts,
      symbol: {
        name: `Sentence ${s + 1}: ${preview}${tokens.length > 8 ? ' …' : ''}`,
        detail: describeEntities(counts),
        kind: SymbolKind.String,
        range,
        selectionRange: { start: range.start, end: range.start },
      },
    });
  }
  const documents = documentSpans(analysis);
  if (documents.length === 0) return sentences.map((s) => s.symbol);
  return documents.map((doc, d) => {
    const members = sentences.slice(doc.sentences[0], Math.min(doc.sentences[1], count));
    const counts = new Map<string, number>();
    for (const m of members) for (const [type, n] of m.counts) counts.set(type, (counts.get(type) ?? 0) + n);
    const range = lineRange(analysis, doc.start, doc.end);
    return {
      name: `Document ${d + 1}`,
      detail: `${doc.sentences[1] - doc.sentences[0]} sentences, ${describeEntities(counts)}`,
      kind: SymbolKind.Module,
      range,
      selectionRange: { start: range.start, end: range.start },
      children: members.map((m) => m.symbol),
    };
  });
}
