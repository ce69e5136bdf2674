#!/usr/bin/env bash
# Reproduces the embedded default model (models/default) from the corpora in ../shared/data:
#   1. a word tokenizer and skip-gram word vectors from the train+dev text of all nine corpora;
#   2. one head per corpus (word embeddings frozen, so the heads can share them), trained on train+dev for a
#      fixed time, two at a time (one CPU thread each); the heads of the two target corpora are ensembles of
#      models trained with different seeds;
#   3. the heads merged into one multi-head ONNX graph, scored on each corpus's test split. NCBI-disease annotates
#      Disease under another guideline than BC5CDR: its head stays reachable by name but is not in the default output.
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

# head name, corpus folder, minutes of training, seeds (one model per seed; several = an ensemble).
# Longest first, so that the two job slots finish close together.
HEADS="BC5CDR BC5CDR 16 13,14
BC2GM BC2GM 12 13
JNLPBA JNLPBA 12 13
NCBI-disease NCBI-disease 10 13,14
AnatEM AnatEM 8 13
LINNAEUS LINNAEUS 6 13"

start=$(date +%s)
mkdir -p "$WORK/logs"
echo "== word vectors (skip-gram on the train+dev text of every corpus)"
"$PYTHON" -m training.pretrain --text "$DATA"/*/train.tsv "$DATA"/*/dev.tsv --out "$WORK/base" \
  --vocab-size 30000 --dim 100 --epochs 3 --seed 13 > "$WORK/logs/pretrain.log"
tail -n 1 "$WORK/logs/pretrain.log"

train_model() {
  local name=$1 corpus=$2 minutes=$3 seed=$4
  local dir="$DATA/$corpus" model="$name-$seed"
  "$PYTHON" -m training.train --train "$dir/train.tsv" "$dir/dev.tsv" --dev "$dir/dev.tsv" --test "$dir/test.tsv" \
    --out "$WORK/heads/$model" --embeddings "$WORK/base" --freeze-embeddings --select last --patience 1000 \
    --max-minutes "$(awk -v m="$minutes" -v s="$SCALE" 'BEGIN { print m * s }')" --seed "$seed" --log-every 500 \
    --no-quantize --name "$name head (seed $seed)" --data-name "$corpus train+dev" \
    > "$WORK/logs/$model.jsonl" 2> "$WORK/logs/$model.log"
  echo "   $model: $(grep -o '"test_f1": [0-9.]*' "$WORK/logs/$model.jsonl" || echo 'FAILED, see '"$WORK/logs/$model.log")"
}
export -f train_model
export DATA PYTHON WORK SCALE
# One line per model (head, corpus, minutes, seed), in the order of HEADS.
MODELS=$(echo "$HEADS" | awk '{ n = split($4, s, ","); for (i = 1; i <= n; i++) print $1, $2, $3, s[i] }')
echo "== $(echo "$MODELS" | wc -l) models for $(echo "$HEADS" | wc -l) heads, $JOBS at a time"
echo "$MODELS" | xargs -P "$JOBS" -L 1 bash -c 'train_model "$@"' _

echo "== merge into $OUT"
args=()
tests=()
while read -r name corpus _ seeds; do
  args+=(--head "$name=$(echo "$seeds" | tr ',' '\n' | sed "s|^|$WORK/heads/$name-|" | paste -sd+)")
  tests+=(--test "$name=$DATA/$corpus/test.tsv")
done <<< "$HEADS"
"$PYTHON" -m training.merge "${args[@]}" "${tests[@]}" --out "$OUT" --name "BioNER default model" --not-default NCBI-disease
echo "== done in $(( ($(date +%s) - start) / 60 )) min"
