#!/usr/bin/env bash
# Installs the Python side (the trainer in training/ and the Python-based tests) for Debian's /usr/bin/python3:
# PyTorch from Debian (CPU, 1.13; PyPI's wheels pull gigabytes of CUDA), OpenBLAS (LSTMs are ~19x slower on the
# reference BLAS), and the few PyPI packages the trainer and the tests use. Idempotent: quick when all is there.
set -euo pipefail
PY=/usr/bin/python3
log() { printf '[setup-python] %s\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

APT_PACKAGES=(python3 python3-pip python3-torch python3-numpy python3-yaml python3-requests python3-psutil libopenblas0-pthread)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Versions that work with Debian's torch 1.13 (transformers dropped torch 1.x from about 4.48). Everything is
# installed with --no-deps: a dependency resolver would fetch PyPI's torch (gigabytes of CUDA) over Debian's.
PIP_PACKAGES=(
  onnx==1.23.2 protobuf==7.36.2 ml_dtypes==0.5.4
  onnxruntime==1.31.1 flatbuffers==25.12.19 sympy==1.14.0 mpmath==1.3.0
  tokenizers==0.20.3 huggingface_hub==0.36.2 filelock==4.2.11 fsspec==2026.9.0 tqdm==4.70.1 packaging==26.3
  typing_extensions==4.16.0
  transformers==4.46.3 regex==2026.11.15 safetensors==0.8.0
  peft==0.13.2 accelerate==0.34.2
  pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1 Pygments==2.21.0
  conlleval==0.2
)
need=()
for spec in "${PIP_PACKAGES[@]}"; do
  name="${spec%%==*}"; version="${spec#*==}"
  have="$($PY -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)"
  [ "$have" = "$version" ] || need+=("$spec")
done
if [ "${#need[@]}" -gt 0 ]; then
  log "pip install --no-deps ${need[*]}"
  $PY -m pip install --quiet --break-system-packages --disable-pip-version-check --no-deps "${need[@]}"
fi
$PY -c "import torch, onnx, onnxruntime, tokenizers, transformers, peft, conlleval; assert torch.__file__.startswith('/usr/lib/'), 'a PyPI torch shadows Debian\'s: ' + torch.__file__; print('[setup-python] torch', torch.__version__, '| transformers', transformers.__version__, '| onnxruntime', onnxruntime.__version__)"
