#!/usr/bin/env bash
# gate beside modelscan on the non-pickle model fixtures (GGUF, ONNX, Keras, TensorFlow, Hugging
# Face): which malicious files each one fails, which benign ones it passes, and wall time; then
# gate's cost on large files (its readers skip tensor bytes).
# Usage: benches/models.sh   (builds gate in release; uses modelscan if installed).
# Large files go under ${BENCH_DIR:-/tmp/gate-bench-models}.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
gate=target/release/gate
fixtures=tests/fixtures/models
dir=${BENCH_DIR:-/tmp/gate-bench-models}
rm -rf "$dir" && mkdir -p "$dir"

malicious=(
  gguf/ssti.gguf gguf/ssti-named.gguf
  onnx/traversal.onnx onnx/nested-absolute.onnx onnx/sparse-traversal.onnx
  keras/lambda.keras keras/module.keras keras/get-file.keras
  keras/lambda.h5 keras/lambda-vlen.h5 keras/lambda-dense-storage.h5 keras/real/lambda.keras keras/real/lambda.h5
  tensorflow/pyfunc tensorflow/exfil tensorflow/lambda-metadata
  hf/remote-local hf/remote-hub hf/custom-pipeline hf/ssti hf/real/remote hf/st-custom hf/diffusers-custom
)
benign=(
  gguf/chatml.gguf gguf/llama3.gguf gguf/gemma-big-endian.gguf gguf/mistral.gguf gguf/llama2-v1.gguf
  onnx/external onnx/subgraphs.onnx
  keras/functional.keras keras/tf-keras.h5 keras/keras3-legacy.h5 keras/real/functional.keras keras/real/functional.h5
  tensorflow/tf1 tensorflow/tf2 hf/llama hf/qwen hf/project hf/real/llama hf/sentence-transformers hf/diffusers-sd
)

has_modelscan=false
command -v modelscan >/dev/null && has_modelscan=true

verdict() { # exit code -> word
  case $1 in 0) echo pass ;; 1) echo FAIL ;; 3) echo "skip(3)" ;; *) echo "err($1)" ;; esac
}

printf '%-46s %-10s %-10s\n' "file (truth)" gate modelscan
for kind in malicious benign; do
  declare -n list=$kind
  for rel in "${list[@]}"; do
    set +e
    "$gate" scan "$fixtures/$rel" >/dev/null 2>&1; g=$?
    m=-
    if $has_modelscan; then modelscan -p "$fixtures/$rel" >/dev/null 2>&1; m=$(verdict $?); fi
    set -e
    printf '%-46s %-10s %-10s\n' "$rel ($kind)" "$(verdict $g)" "$m"
  done
done

time_it() { # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  printf '%-46s %8.3f s\n' "$label" "$(echo "$end - $start" | bc)"
}

# Large files: a 2 GiB GGUF (tensor data sparse), a 1 GiB ONNX initializer stored inline, a
# 1 GiB legacy Keras .h5 (weights dataset), each with a malicious part the readers must still see.
python3 - "$dir" <<'PY'
import json, sys
import numpy as np
import gguf, h5py, onnx
from onnx import TensorProto, helper

root = sys.argv[1]
w = gguf.GGUFWriter(f"{root}/big.gguf", "llama")
w.add_chat_template("{{ ().__class__ }}")
w.add_tensor_info("w", [512 * 1024 * 1024], np.dtype(np.float32), 2 * 1024**3)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_ti_data_to_file(); w.close()
with open(f"{root}/big.gguf", "r+b") as f:
    f.seek(0, 2); f.truncate(f.tell() + 2 * 1024**3)

raw = helper.make_tensor("W", TensorProto.FLOAT, [256 * 1024 * 1024], vals=b"\0" * (1024**3), raw=True)
evil = helper.make_tensor("E", TensorProto.FLOAT, [1], vals=b"\0" * 4, raw=True)
evil.data_location = TensorProto.EXTERNAL
evil.external_data.add(key="location", value="../../etc/passwd")
graph = helper.make_graph([helper.make_node("Add", ["W", "E"], ["Y"])], "big", [],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], initializer=[raw, evil])
with open(f"{root}/big.onnx", "wb") as f:
    f.write(helper.make_model(graph).SerializeToString())

config = {"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "l", "function": ["AA==", None, None]}}]}}
with h5py.File(f"{root}/big.h5", "w") as f:
    f.create_dataset("model_weights/w", shape=(256 * 1024 * 1024,), dtype="f4", fillvalue=1.0)[:] = 1.0
    f.attrs["model_config"] = json.dumps(config).encode()
PY

echo "-- large files ($dir; 2-core machine, run twice and read the second)"
for pass in 1 2; do
  time_it "gate scan big.gguf (2 GiB, template at start)" "$gate" scan "$dir/big.gguf"
  time_it "gate scan big.onnx (1 GiB inline initializer)" "$gate" scan "$dir/big.onnx"
  time_it "gate scan big.h5 (1 GiB weights, metadata walk)" "$gate" scan "$dir/big.h5"
  time_it "gate scan fixtures/models (all)" "$gate" scan "$fixtures"
  if $has_modelscan; then
    time_it "modelscan -p big.h5" modelscan -p "$dir/big.h5"
    time_it "modelscan -p fixtures/models (all)" modelscan -p "$fixtures"
  fi
done
for f in big.gguf big.onnx big.h5; do
  printf '%-12s gate exit ' "$f"; set +e; "$gate" scan "$dir/$f" >/dev/null 2>&1; echo $?; set -e
done
