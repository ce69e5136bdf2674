/**
 * A multi-head graph cut down to the heads a run reads. A merged model runs one encoder per head and ends in one
 * Concat of the heads' logits on the label axis (`bioner.heads` order); onnxruntime runs every node of a graph
 * whatever output is fetched, so a run that decodes two heads of eight paid for eight. The cut graph keeps the
 * logits' layout: a head left out gives zeros, and the nodes and initializers only it used are gone.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { isRunning } from '../processes';

/** onnx.proto, beside this module in the sources and in dist/. */
const PROTO = path.join(__dirname, 'onnx.proto');

// The parts of onnx.proto's messages this module reads or writes (protobufjs names fields in camelCase).
interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  int64Data?: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
}
interface AttributeProto {
  name: string;
  type?: number;
  i?: number;
  t?: TensorProto;
  g?: unknown;
  graphs?: unknown[];
}
interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  attribute: AttributeProto[];
}
interface GraphProto {
  node: NodeProto[];
  initializer: TensorProto[];
  sparseInitializer: { values?: TensorProto }[];
  input: { name: string }[];
  output: { name: string }[];
  valueInfo: { name: string }[];
}
interface ModelProto {
  graph?: GraphProto;
}

const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_TENSOR = 4;
const EXTERNAL_DATA = 1;
/** Names of what the cut adds; a graph that already uses the prefix is left whole. */
const PREFIX = 'bioner_cut/';

let modelType: protobuf.Type | undefined;

/** Temporary folders are named `bioner-graphs-PID-…`, so that those of processes killed before their cleanup can be found. */
const FOLDER = /^bioner-graphs-(\d+)-/;

/** A folder for this process's cut graphs, after removing those of processes that no longer run. */
function newFolder(): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(FOLDER.exec(name)?.[1]);
    if (pid && pid !== process.pid && !isRunning(pid)) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
  return mkdtempSync(path.join(tmpdir(), `bioner-graphs-${process.pid}-`));
}

/**
 * A model file's graphs cut per set of heads, written once to a temporary folder that `dispose` removes: sessions
 * load them from a path, as they load the model, so no worker holds the model's bytes or decodes them itself.
 */
export class HeadGraphs {
  private readonly files = new Map<string, string>();
  private folder?: string;

  /** `headWidths`: each head's label count in the logits' order; unset (or found impossible to cut) runs the whole graph. */
  constructor(
    private readonly onnxPath: string,
    private headWidths: readonly number[] | undefined,
  ) {}

  /** The file of a graph that computes the logits of `heads` (indices into `headWidths`; every head when absent). */
  pathFor(heads: readonly number[] | undefined): string {
    if (!heads || !this.headWidths) return this.onnxPath;
    const keep = [...new Set(heads)].sort((a, b) => a - b);
    if (keep.length >= this.headWidths.length) return this.onnxPath;
    const key = keep.join(',');
    const known = this.files.get(key);
    if (known) return known;
    let file = this.onnxPath;
    try {
      const cut = pruneToHeads(readFileSync(this.onnxPath), this.headWidths, keep);
      if (cut) {
        this.folder ??= newFolder();
        file = path.join(this.folder, `heads-${keep.join('-') || 'none'}.onnx`);
        writeFileSync(file, cut);
      } else this.headWidths = undefined;
    } catch {
      // Unreadable by protobuf (onnxruntime then says what is wrong with the file), or no room to write: run it whole.
      file = this.onnxPath;
    }
    this.files.set(key, file);
    return file;
  }

  dispose(): void {
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
    this.files.clear();
  }
}

/**
 * The graph with only the logits of heads `keep` computed (indices into `headWidths`, the label count of each head in
 * the order of the logits' label axis), or undefined when the graph is not a Concat of as many heads on the label
 * axis, when it has subgraphs or external data, or when `keep` is every head: then the whole graph is what to run.
 */
export function pruneToHeads(onnx: Uint8Array, headWidths: readonly number[], keep: readonly number[]): Uint8Array | undefined {
  if (headWidths.every((_, h) => keep.includes(h))) return undefined;
  modelType ??= protobuf.loadSync(PROTO).lookupType('onnx.ModelProto');
  const model = modelType.decode(onnx) as unknown as ModelProto;
  const graph = model.graph;
  if (!graph || !cuttable(graph)) return undefined;
  const logitsName = (graph.output.find((o) => o.name === 'logits') ?? graph.output[0])?.name;
  const concat = graph.node.find((node) => node.output.includes(logitsName));
  const axis = concat?.attribute.find((a) => a.name === 'axis')?.i;
  if (!concat || concat.opType !== 'Concat' || concat.input.length !== headWidths.length || (Number(axis) !== 2 && Number(axis) !== -1)) return undefined;
  const source = graph.input.find((input) => input.name === 'input_ids')?.name;
  if (!source) return undefined;

  // [batch, sequence] of the inputs, then per dropped head zeros of [batch, sequence, width].
  const batchSequence = `${PREFIX}batch_sequence`;
  const added: NodeProto[] = [{ input: [source], output: [batchSequence], name: `${PREFIX}shape`, opType: 'Shape', attribute: [] }];
  headWidths.forEach((width, h) => {
    if (keep.includes(h)) return;
    const widthName = `${PREFIX}width_${h}`;
    const dims = `${PREFIX}dims_${h}`;
    const zeros = `${PREFIX}zeros_${h}`;
    graph.initializer.push({ name: widthName, dims: [1], dataType: INT64, int64Data: [width] });
    added.push(
      { input: [batchSequence, widthName], output: [dims], name: `${PREFIX}concat_${h}`, opType: 'Concat', attribute: [{ name: 'axis', type: ATTRIBUTE_INT, i: 0 }] },
      { input: [dims], output: [zeros], name: `${PREFIX}fill_${h}`, opType: 'ConstantOfShape', attribute: [{ name: 'value', type: ATTRIBUTE_TENSOR, t: { dims: [1], dataType: FLOAT, rawData: new Uint8Array(4) } }] },
    );
    concat.input[h] = zeros;
  });
  // They read only a graph input, so they go first and the nodes stay in topological order.
  graph.node.unshift(...added);
  dropUnused(graph);
  return modelType.encode(model as unknown as protobuf.Message).finish();
}

/** Whether nothing in the graph is out of this module's sight: subgraphs read outer names, external data lives in files. */
function cuttable(graph: GraphProto): boolean {
  const names = [...graph.node.flatMap((n) => [...n.input, ...n.output]), ...graph.initializer.map((t) => t.name ?? '')];
  return (
    !graph.node.some((node) => node.attribute.some((a) => a.g || a.graphs?.length)) &&
    !graph.initializer.some((t) => t.dataLocation === EXTERNAL_DATA) &&
    !names.some((name) => name.startsWith(PREFIX))
  );
}

/** Removes the nodes, initializers and shape annotations no graph output depends on (nodes are topologically sorted). */
function dropUnused(graph: GraphProto): void {
  const needed = new Set(graph.output.map((o) => o.name));
  const kept: NodeProto[] = [];
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const node = graph.node[i];
    if (!node.output.some((name) => needed.has(name))) continue;
    kept.push(node);
    for (const name of node.input) needed.add(name);
  }
  graph.node = kept.reverse();
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name ?? ''));
  graph.sparseInitializer = graph.sparseInitializer.filter((t) => needed.has(t.values?.name ?? ''));
  graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name));
}
