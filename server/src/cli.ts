#!/usr/bin/env node
/** The `bioner` command line; every command sits on the same core modules as the language server. */
import { oneOf, SETTINGS } from '@common/settings';
import { ANNOTATE_FORMATS, INPUT_KINDS, runAnnotate } from './cli/annotate';
import { CORPUS_SCOPE, UsageError } from './cli/args';
import { CHECK_FORMATS, runCheck } from './cli/check';
import { runConvert } from './cli/convert';
import { runEval } from './cli/eval';
import { runExportServing } from './cli/exportServing';
import { runReview } from './cli/review';
import { runStats } from './cli/stats';
import { describeErrno } from './cli/output';
import { runTrain } from './cli/train';
import { VERSION } from './cli/version';

const USAGE = `bioner ${VERSION}: biomedical NER and BIO/CoNLL checking

Usage:
  bioner check FILES|DIRS… [--format ${CHECK_FORMATS.enum.join('|')}] [--output FILE] [--tag-column N] [--scheme S] [--corpus-scope C]
      Runs the editor's checks and the corpus checks (split leaks, duplicates, types missing from train);
      exits 1 when an error-level finding exists.
  bioner stats FILES|DIRS… [--json] [--output FILE] [--tag-column N] [--scheme S] [--corpus-scope C]
      Per corpus: sentences, tokens and entities per split and type, lengths, leakage and memorization.
  bioner annotate FILE [--model DIR] [--format ${ANNOTATE_FORMATS.enum.join('|')}] [--input ${INPUT_KINDS.join('|')}] [--output FILE] [--endpoint URL …]
      Tags a BIO file (predicted tag appended as the last column) or prose (one sentence per line in jsonl).
  bioner annotate FILES|DIRS… --out DIR [--shard-size N] [--force] [--format F] [--input I] [--model DIR] [--endpoint URL …]
      Tags BIO, .txt/.md files and JSONL documents ({"text", "id"?}) into DIR under their own paths, each output
      written whole; a rerun skips the outputs already there (--force redoes all). Exits 1 when input was skipped.
  bioner eval GOLD [--pred FILE | --model DIR] [--endpoint URL …] [--json]
      Strict and relaxed entity P/R/F1: overall, per type and per entity length (1, 2, >=3 tokens).
  bioner review FILES… [--model DIR | --folds K [--fold-minutes N] [--python PATH]] [--types T[,T…]] [--scoring self-confidence|normalized-margin] [--limit N] [--json]
      Likely label errors: the gold tags the model doubts most, with its tags instead, ranked (most likely first).
      --folds K: each sentence scored by a model trained on the other folds (the files' own types).
  bioner train --train F [F…] --dev F --out DIR [--test F] [--base HF_DIR] [--max-minutes N] [--epochs N] [--python PATH] [--json]
      Trains a model with the Python trainer (training/), printing its progress; leaves a model folder.
  bioner convert FILE --to iob2|iobes|doccano|labelstudio|prodigy|brat [--from F] [--text auto|prose|pretokenized] [--output PATH]
      Converts BIO and annotation tools' files (format told from the name and content unless --from says);
      brat writes PATH.txt and PATH.ann. Problems go to stderr with their places; exits 1 when something
      could not be represented.
  bioner convert ANSWERS --from generative --gold GOLD --to iob2|iobes [--generative auto|markers|json|typed] [--type T] [--output FILE]
      Aligns an LLM tagger's answers (one per GOLD sentence) to GOLD's tokens, for bioner eval GOLD --pred FILE.
  bioner export-serving MODEL_DIR --out DIR [--name NAME] [--max-batch N] [--instances N] [--gpu] [--quantized] [--force]
      Writes a Triton model repository (DIR/NAME/config.pbtxt, DIR/NAME/1/model.onnx) and a KServe
      InferenceService (DIR/inferenceservice.yaml) that serve the model's ONNX graph; --force replaces DIR.

Model options (annotate, eval, review): --device ${SETTINGS.device.enum.join('|')}, --workers N, --threads N, --quantized,
  --heads NAME[,NAME…]
Remote options (annotate, eval, review): --endpoint URL runs the graph on an Open Inference Protocol (KServe v2) server, with
  --protocol rest|grpc (default rest), --tensors binary|json (REST; default binary, JSON when refused), --model-name N,
  --concurrency K (default 4), --max-batch N (default 64), --timeout S (per request, default 60);
  Authorization from $BIONER_INFERENCE_AUTH
S is ${oneOf(SETTINGS.scheme.enum)}; N for --tag-column is the tag's column (-1: the last).
DIRS are searched for .bio/.iob/.iob2/.bioes/.conll files and .tsv/.txt files that read as BIO. C is
${oneOf(CORPUS_SCOPE.enum)}: the files compared as one corpus (default ${CORPUS_SCOPE.default}: those of one folder).`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  check: runCheck,
  convert: runConvert,
  annotate: runAnnotate,
  eval: runEval,
  'export-serving': runExportServing,
  review: runReview,
  stats: runStats,
  train: runTrain,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}'`);
  return run(rest);
}

// `bioner annotate … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  // `bioner annotate … > file` on a full disk: say so instead of a stack trace.
  process.stderr.write(`bioner: cannot write standard output: ${describeErrno(error)}\n`);
  process.exit(2);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) process.stderr.write(`bioner: ${error.message}\n\n${USAGE}\n`);
    else process.stderr.write(`bioner: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
