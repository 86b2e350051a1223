#!/usr/bin/env bash
# Issue 13's 30M-Llama benchmark, both sides back to back, each measurement in its own process (so each peak RSS is
# its own): the PyTorch eager anchor (llama_anchor.py) and Tropism (LlamaScaleBenchmark, one JVM per mode), with the
# load average before each. The machine is shared: run it under the bench lock, from the repository root:
#   ./mvnw -B -o -q test-compile -Dskip.frontend
#   flock /tmp/bench.lock tools/hf-reference/llama_scale.sh [mode ...]   # default: every mode
# Modes: decode lora full (both sides), grpo grpo-full serve (Tropism only).
set -euo pipefail
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(decode lora full grpo grpo-full serve)
for mode in "${modes[@]}"; do
  case "$mode" in
    decode|lora|full)
      echo "---- anchor $mode; $(uptime)"
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/hf-reference/llama_anchor.py --mode "$mode" ;;
  esac
  echo "---- tropism $mode; $(uptime)"
  ./mvnw -B -o -Pbench surefire:test -Dskip.frontend -Dtest=LlamaScaleBenchmark -Dllama.mode="$mode" \
    | sed -n '/^==== LlamaScaleBenchmark/,/^\[INFO\]/p' | grep -v '^\[INFO\]'
done
echo "---- end; $(uptime)"
