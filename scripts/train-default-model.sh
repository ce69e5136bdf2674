#!/usr/bin/env bash
# Reproduces the embedded default model (models/default) from the corpora in ../shared/data:
#   1. a word tokenizer and skip-gram word vectors from the train+dev text of all nine corpora;
#   2. one head per corpus (word embeddings frozen, so the heads can share them), trained on train+dev for a
#      fixed time, two at a time (one CPU thread each);
#   3. the heads merged into one multi-head ONNX graph, scored on each corpus's test split.
# Usage: scripts/train-default-model.sh [OUT_DIR]   (default models/default; work files in build/default-model)
# Environment: BIONER_DATA (default ../shared/data), PYTHON (default /usr/bin/python3), JOBS (default 2),
#              MINUTES_SCALE (multiplies every head's time budget; 1 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/default}
DATA=${BIONER_DATA:-../shared/data}
PYTHON=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-2}
SCALE=${MINUTES_SCALE:-1}
WORK=build/default-model
export OPENBLAS_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false

# head name, corpus folder, minutes of training (longest first, so two jobs finish close together)
HEADS="BC5CDR BC5CDR 16
BC2GM BC2GM 14
JNLPBA JNLPBA 14
NCBI-disease NCBI-disease 10
AnatEM AnatEM 10
LINNAEUS LINNAEUS 8"

start=$(date +%s)
mkdir -p "$WORK/logs"
echo "== word vectors (skip-gram on the train+dev text of every corpus)"
"$PYTHON" -m training.pretrain --text "$DATA"/*/train.tsv "$DATA"/*/dev.tsv --out "$WORK/base" \
  --vocab-size 30000 --dim 100 --epochs 3 --seed 13 > "$WORK/logs/pretrain.log"
tail -n 1 "$WORK/logs/pretrain.log"

train_head() {
  local name=$1 corpus=$2 minutes=$3
  local dir="$DATA/$corpus"
  "$PYTHON" -m training.train --train "$dir/train.tsv" "$dir/dev.tsv" --dev "$dir/dev.tsv" --test "$dir/test.tsv" \
    --out "$WORK/heads/$name" --embeddings "$WORK/base" --freeze-embeddings --select last --patience 1000 \
    --max-minutes "$(awk -v m="$minutes" -v s="$SCALE" 'BEGIN { print m * s }')" --seed 13 --log-every 500 \
    --no-quantize --name "$name head" --data-name "$corpus train+dev" > "$WORK/logs/$name.jsonl" 2> "$WORK/logs/$name.log"
  echo "   $name: $(grep -o '"test_f1": [0-9.]*' "$WORK/logs/$name.jsonl" || echo 'FAILED, see '"$WORK/logs/$name.log")"
}
export -f train_head
export DATA PYTHON WORK SCALE
echo "== $(echo "$HEADS" | wc -l) heads, $JOBS at a time"
echo "$HEADS" | xargs -P "$JOBS" -L 1 bash -c 'train_head "$@"' _

echo "== merge into $OUT"
args=()
tests=()
while read -r name corpus _; do
  args+=(--head "$name=$WORK/heads/$name")
  tests+=(--test "$name=$DATA/$corpus/test.tsv")
done <<< "$HEADS"
"$PYTHON" -m training.merge "${args[@]}" "${tests[@]}" --out "$OUT" --name "BioNER default model"
echo "== done in $(( ($(date +%s) - start) / 60 )) min"
