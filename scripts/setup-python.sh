#!/usr/bin/env bash
# Installs the Python side (the trainer in training/ and the Python-based tests) for Debian's /usr/bin/python3:
# PyTorch from Debian (CPU, 1.13; PyPI's wheels pull gigabytes of CUDA), OpenBLAS (LSTMs are ~19x slower on the
# reference BLAS), and the few PyPI packages the trainer and the tests use. Idempotent: quick when all is there.
set -euo pipefail
PY=/usr/bin/python3
log() { printf '[setup-python] %s\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

APT_PACKAGES=(python3 python3-pip python3-torch python3-numpy libopenblas0-pthread)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Versions that work with Debian's torch 1.13 (transformers dropped torch 1.x from about 4.48).
PIP_PACKAGES=(onnx==1.23.2 onnxruntime==1.31.1 tokenizers==0.23.3 pytest==9.2.0 conlleval==0.2)
need=()
for spec in "${PIP_PACKAGES[@]}"; do
  name="${spec%%==*}"; version="${spec#*==}"
  have="$($PY -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)"
  [ "$have" = "$version" ] || need+=("$spec")
done
if [ "${#need[@]}" -gt 0 ]; then
  log "pip install ${need[*]}"
  $PY -m pip install --quiet --break-system-packages --disable-pip-version-check "${need[@]}"
fi
$PY -c "import torch, onnx, onnxruntime, tokenizers, conlleval; print('[setup-python] torch', torch.__version__, '| onnxruntime', onnxruntime.__version__)"
