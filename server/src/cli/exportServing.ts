/** `bioner export-serving`: a model folder's graph as a Triton model repository with a KServe manifest beside it. */
import * as path from 'node:path';
import { loadModelFolder } from '../core/ner/modelFolder';
import { readGraphSignature } from '../core/serving/graphSignature';
import { defaultServingName, servingNameProblem } from '../core/serving/servingName';
import { writeServingRepository } from '../core/serving/servingRepository';
import { parseArgs, positiveInteger, UsageError } from './args';
import { withOutputFolder } from './output';

/** Triton's batch limit when --max-batch is not given: BioNER's batches (up to 1,024 sub-words) hold 64 windows of 16. */
const DEFAULT_MAX_BATCH = 64;

export async function runExportServing(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['out', 'name', 'max-batch', 'instances'], flags: ['quantized', 'gpu', 'force'] });
  const { values, flags } = args;
  if (args.positional.length !== 1 || !values.out) throw new UsageError('export-serving needs MODEL_DIR --out DIR');
  const [modelDir] = args.positional;
  const out = values.out;
  const maxBatch = positiveInteger(values, 'max-batch', DEFAULT_MAX_BATCH);
  const instances = positiveInteger(values, 'instances');
  const name = values.name ?? defaultServingName(path.basename(path.resolve(modelDir)));
  const nameProblem = servingNameProblem(name);
  if (nameProblem) throw new UsageError(`--name: ${nameProblem}`);
  if (holds(out, modelDir)) throw new UsageError(`--out ${out} holds the model folder ${modelDir}: choose another folder`);

  const folder = loadModelFolder(modelDir, { preferQuantized: flags.has('quantized') });
  if (flags.has('quantized') && !folder.quantized) throw new Error(`${modelDir} has no onnx/model_quantized.onnx to export with --quantized`);
  const signature = await readGraphSignature(folder.onnxPath);
  const files = await withOutputFolder(out, flags.has('force'), (dir) =>
    writeServingRepository(dir, {
      name,
      graphPath: folder.onnxPath,
      signature,
      labels: folder.labels.length,
      maxBatch,
      instances,
      gpu: flags.has('gpu'),
      storageUri: `pvc://bioner-models/${path.basename(path.resolve(out))}`,
    }),
  );
  process.stdout.write(
    `${out}: Triton model '${name}' from ${path.relative(modelDir, folder.onnxPath)} (${signature.inputs.map((input) => input.name).join(', ')} → ${signature.logits.name})\n` +
      files.map((file) => `  ${path.join(out, file)}\n`).join('') +
      `Serve it with: tritonserver --model-repository ${out}\n` +
      `On KServe: set storageUri in ${path.join(out, 'inferenceservice.yaml')} to where the cluster reads the folder, then kubectl apply -f it\n`,
  );
  return 0;
}

/** Whether folder `outer` is `inner` or holds it: --force replaces --out whole, which must never take the model with it. */
function holds(outer: string, inner: string): boolean {
  const relative = path.relative(path.resolve(outer), path.resolve(inner));
  return !(relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative));
}
