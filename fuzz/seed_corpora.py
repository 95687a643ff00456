#!/usr/bin/env python3
"""Builds fuzz/corpus/<target>/ from tests/fixtures (run from the repository root).

Seeds are deduplicated by content and capped at 64 KiB each. Targets that pick a file name from
the first byte get that byte prepended, matching the name list in the target.
"""
import hashlib, os, pathlib

CAP = 64 * 1024
ROOT = pathlib.Path("tests/fixtures")
OUT = pathlib.Path("fuzz/corpus")
# target -> (names in the target's order, or None for a single-name target; suffix -> name index)
TARGETS = {
    "pickle": (None, [".pkl", ".pickle"]),
    "torch": (["pytorch_model.bin", "model.pt", "model.pth", "model.ckpt", "array.npy", "arrays.npz"],
              {".bin": 0, ".pt": 1, ".pth": 2, ".ckpt": 3, ".npy": 4, ".npz": 5, ".tar": 1}),
    "joblib": (["model.joblib", "model.joblib.gz", "model.joblib.xz", "model.joblib.bz2", "model.joblib.lz4"],
               {".joblib": 0, ".gz": 1, ".xz": 2, ".bz2": 3, ".lz4": 4, ".z": 0, ".lzma": 2}),
    "tensor_headers": (["model.safetensors", "model.gguf"], {".safetensors": 0, ".gguf": 1}),
    "protobuf": (["model.onnx", "saved_model.pb", "keras_metadata.pb", "saved_model.pbtxt"],
                 {".onnx": 0, ".pb": 1, ".pbtxt": 3}),
    "keras": (["model.keras", "model.h5", "weights.hdf5"], {".keras": 0, ".h5": 1, ".hdf5": 2}),
    "huggingface": (["config.json", "tokenizer_config.json", "model_index.json", "chat_template.jinja",
                     "modeling_custom.py"], {".json": 0, ".jinja": 3, ".py": 4}),
}


def main():
    seen = {}
    for path in sorted(ROOT.rglob("*")):
        if not path.is_file() or path.stat().st_size > CAP:
            continue
        data = path.read_bytes()
        lower = path.name.lower()
        for target, (names, suffixes) in TARGETS.items():
            if names is None:
                if any(lower.endswith(s) for s in suffixes):
                    put(seen, target, data)
                continue
            for suffix, index in suffixes.items():
                if lower.endswith(suffix):
                    name = path.name
                    if target == "huggingface" and suffix == ".json":
                        index = names.index(name) if name in names else 0
                    put(seen, target, bytes([index]) + data)
                    break
    for source in pathlib.Path("fuzz/seeds").glob("*/*"):
        put(seen, source.parent.name, source.read_bytes())


def put(seen, target, data):
    digest = hashlib.sha1(data).hexdigest()
    if (target, digest) in seen:
        return
    seen[(target, digest)] = True
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / digest).write_bytes(data)


if __name__ == "__main__":
    main()
