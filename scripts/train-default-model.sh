#!/usr/bin/env bash
# Reproduces the embedded default model (models/default) from the corpora in ../shared/data:
#   1. a word tokenizer and skip-gram word vectors from the train+dev text of all nine corpora;
#   2. one multi-task model (training.multitask): a shared char-CNN + BiLSTM encoder with one CRF head per
#      corpus, trained on the six corpora's train+dev for a fixed time, in JOBS processes (one CPU thread each,
#      gradients averaged); the two target corpora (BC5CDR, NCBI-disease) pass twice per epoch. NCBI-disease
#      annotates Disease under another guideline than BC5CDR: its head stays reachable by name but is not in the
#      default output. Every head is scored on its corpus's test split.
# Usage: scripts/train-default-model.sh [OUT_DIR]   (default models/default; work files in build/default-model)
# Environment: BIONER_DATA (default ../shared/data), PYTHON (default /usr/bin/python3), JOBS (default 2),
#              MINUTES (training budget, export included; 50 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/default}
DATA=${BIONER_DATA:-../shared/data}
PYTHON=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-2}
MINUTES=${MINUTES:-50}
WORK=build/default-model
export OPENBLAS_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
HEADS="BC5CDR BC2GM JNLPBA NCBI-disease AnatEM LINNAEUS"

start=$(date +%s)
mkdir -p "$WORK/logs"
echo "== word vectors (skip-gram on the train+dev text of every corpus)"
"$PYTHON" -m training.pretrain --text "$DATA"/*/train.tsv "$DATA"/*/dev.tsv --out "$WORK/base" \
  --vocab-size 30000 --dim 100 --epochs 3 --seed 13 > "$WORK/logs/pretrain.log"
tail -n 1 "$WORK/logs/pretrain.log"

args=()
for name in $HEADS; do
  args+=(--head "$name=$DATA/$name/train.tsv+$DATA/$name/dev.tsv" --dev "$name=$DATA/$name/dev.tsv"
         --test "$name=$DATA/$name/test.tsv")
done
# Every rank takes the same arguments: it builds the same batches and takes its share of them.
args+=(--out "$OUT" --embeddings "$WORK/base" --freeze-embeddings --repeat BC5CDR=2 --repeat NCBI-disease=2
       --not-default NCBI-disease --select last --patience 1000 --max-minutes "$MINUTES" --seed 13 --log-every 500
       --name "BioNER default model")
echo "== multi-task model, $JOBS process(es), $MINUTES min"
# The ranks are started here, not by torchrun, whose elastic agent fails in Debian's torch (redirects=None).
export MASTER_ADDR=127.0.0.1 MASTER_PORT=${MASTER_PORT:-29541} WORLD_SIZE=$JOBS
pids=()
for rank in $(seq 1 $((JOBS - 1))); do
  RANK=$rank LOCAL_RANK=$rank "$PYTHON" -m training.multitask "${args[@]}" \
    > "$WORK/logs/rank$rank.jsonl" 2> "$WORK/logs/rank$rank.log" &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
RANK=0 LOCAL_RANK=0 "$PYTHON" -m training.multitask "${args[@]}" > "$WORK/logs/multitask.jsonl" 2> "$WORK/logs/multitask.log"
wait "${pids[@]}"
trap - EXIT
grep -o '"test_f1": {[^}]*}' "$WORK/logs/multitask.jsonl"
echo "== done in $(( ($(date +%s) - start) / 60 )) min"
