#!/usr/bin/env python3
"""Writes tiny random HuggingFace checkpoints (gpt2, llama, qwen2) and their reference logits, for
src/test/java/dev/tropism/engine/hf/ReferenceLogitsTest.

An independent check of Tropism's Java implementations: the forwards below are plain PyTorch in float64,
written from HF transformers' modeling_gpt2.py, modeling_llama.py and modeling_qwen2.py (not imported:
transformers is not installed), and the safetensors files are written by hand here, not by Tropism's writer.
Each model covers something the others do not:
  gpt2  F32, Conv1D weights stored (in, out), tanh GELU ("gelu_new"), "transformer." prefix, tied head
  llama BF16, GQA (2 query heads share 1 kv head, head_dim 8), RoPE theta 10000 with linear scaling x2,
        untied lm_head
  qwen2 F16, q/k/v biases, GQA 4:2, rope_theta 1e6, tied embeddings

Run from the repository root with Debian's python3-torch (1.13):
  /usr/bin/python3 tools/hf-reference/hf_reference.py src/test/resources/hf
"""
import json
import math
import os
import struct
import sys

import torch

V, T = 32, 6
# Two rows: the second is left-padded by two (mask 0), as Tropism's sampler pads prompts.
TOKENS = [[3, 17, 5, 29, 11, 2], [0, 0, 8, 1, 30, 14]]
MASK = [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]]
POSITIONS = [[0, 1, 2, 3, 4, 5], [0, 0, 0, 1, 2, 3]]


def save_safetensors(path, tensors, dtype):
    """tensors: list of (name, float64 tensor); dtype: F32 | F16 | BF16. Returns the values as stored."""
    header, blobs, stored, offset = {"__metadata__": {"format": "pt"}}, [], {}, 0
    for name, t in tensors:
        if dtype == "F32":
            q = t.to(torch.float32)
            raw = q.numpy().astype("<f4").tobytes()
        elif dtype == "F16":
            q = t.to(torch.float16)
            raw = q.numpy().astype("<f2").tobytes()
        else:
            q = t.to(torch.bfloat16)
            raw = q.view(torch.int16).numpy().astype("<i2").tobytes()
        stored[name] = q.to(torch.float64)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return stored


def attention(q, k, v, mask):
    """q (B, nh, T, hd), k/v (B, nh, T, hd), mask (B, T) of 0/1: causal softmax attention."""
    hd = q.shape[-1]
    att = q @ k.transpose(-1, -2) / math.sqrt(hd)  # (B, nh, T, T)
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None] & mask.bool()[:, None, None, :]
    att = att.masked_fill(~allowed, float("-inf")).softmax(-1)
    return torch.nan_to_num(att) @ v  # rows of pad queries with no allowed key are 0 (never compared)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def gpt2(out):
    d, nh, layers, P = 16, 2, 2, 16
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_positions": P,
           "n_embd": d, "n_layer": layers, "n_head": nh, "n_inner": None, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True, "bos_token_id": 0, "eos_token_id": 0}
    g = torch.Generator().manual_seed(1)
    r = lambda *s, std=0.3: torch.randn(*s, generator=g, dtype=torch.float64) * std
    w = [("transformer.wte.weight", r(V, d)), ("transformer.wpe.weight", r(P, d))]
    for i in range(layers):
        p = f"transformer.h.{i}."
        w += [(p + "ln_1.weight", 1 + r(d, std=0.1)), (p + "ln_1.bias", r(d, std=0.1)),
              (p + "attn.c_attn.weight", r(d, 3 * d)), (p + "attn.c_attn.bias", r(3 * d, std=0.1)),
              (p + "attn.c_proj.weight", r(d, d)), (p + "attn.c_proj.bias", r(d, std=0.1)),
              (p + "ln_2.weight", 1 + r(d, std=0.1)), (p + "ln_2.bias", r(d, std=0.1)),
              (p + "mlp.c_fc.weight", r(d, 4 * d)), (p + "mlp.c_fc.bias", r(4 * d, std=0.1)),
              (p + "mlp.c_proj.weight", r(4 * d, d)), (p + "mlp.c_proj.bias", r(d, std=0.1))]
    w += [("transformer.ln_f.weight", 1 + r(d, std=0.1)), ("transformer.ln_f.bias", r(d, std=0.1))]
    W = save_safetensors(os.path.join(out, "model.safetensors"), w, "F32")

    tok, pos, mask = torch.tensor(TOKENS), torch.tensor(POSITIONS), torch.tensor(MASK)
    ln = lambda x, n: torch.nn.functional.layer_norm(x, (d,), W[n + ".weight"], W[n + ".bias"], 1e-5)
    conv1d = lambda x, n: x @ W[n + ".weight"] + W[n + ".bias"]  # Conv1D: weight is (in, out)
    heads = lambda t: t.view(2, T, nh, d // nh).transpose(1, 2)
    x = W["transformer.wte.weight"][tok] + W["transformer.wpe.weight"][pos]
    for i in range(layers):
        p = f"transformer.h.{i}."
        q, k, v = conv1d(ln(x, p + "ln_1"), p + "attn.c_attn").split(d, dim=2)
        y = attention(heads(q), heads(k), heads(v), mask).transpose(1, 2).reshape(2, T, d)
        x = x + conv1d(y, p + "attn.c_proj")
        x = x + conv1d(gelu_new(conv1d(ln(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj")
    return cfg, ln(x, "transformer.ln_f") @ W["transformer.wte.weight"].T


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, pos, theta, factor):
    """HF's rotate-half RoPE: x (B, h, T, hd), pos (B, T); linear scaling divides positions by factor."""
    hd = x.shape[-1]
    inv_freq = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)  # (hd/2)
    freqs = (pos.to(torch.float64) / factor)[..., None] * inv_freq  # (B, T, hd/2)
    emb = torch.cat([freqs, freqs], -1)[:, None]  # (B, 1, T, hd)
    rot = torch.cat([-x[..., hd // 2:], x[..., : hd // 2]], -1)
    return x * emb.cos() + rot * emb.sin()


def llama_like(out, cfg, dtype, seed):
    d, nh, nkv, layers = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]
    hd, inter, eps = d // nh, cfg["intermediate_size"], cfg["rms_norm_eps"]
    qkv_bias = cfg["model_type"] == "qwen2"
    factor = (cfg.get("rope_scaling") or {}).get("factor", 1.0)
    g = torch.Generator().manual_seed(seed)
    r = lambda *s, std=0.3: torch.randn(*s, generator=g, dtype=torch.float64) * std
    w = [("model.embed_tokens.weight", r(V, d))]
    for i in range(layers):
        p = f"model.layers.{i}."
        w += [(p + "input_layernorm.weight", 1 + r(d, std=0.1)),
              (p + "self_attn.q_proj.weight", r(nh * hd, d)), (p + "self_attn.k_proj.weight", r(nkv * hd, d)),
              (p + "self_attn.v_proj.weight", r(nkv * hd, d)), (p + "self_attn.o_proj.weight", r(d, nh * hd))]
        if qkv_bias:
            w += [(p + "self_attn.q_proj.bias", r(nh * hd, std=0.1)), (p + "self_attn.k_proj.bias", r(nkv * hd, std=0.1)),
                  (p + "self_attn.v_proj.bias", r(nkv * hd, std=0.1))]
        w += [(p + "post_attention_layernorm.weight", 1 + r(d, std=0.1)),
              (p + "mlp.gate_proj.weight", r(inter, d)), (p + "mlp.up_proj.weight", r(inter, d)),
              (p + "mlp.down_proj.weight", r(d, inter))]
    w += [("model.norm.weight", 1 + r(d, std=0.1))]
    if not cfg["tie_word_embeddings"]:
        w += [("lm_head.weight", r(V, d))]
    W = save_safetensors(os.path.join(out, "model.safetensors"), w, dtype)

    tok, pos, mask = torch.tensor(TOKENS), torch.tensor(POSITIONS), torch.tensor(MASK)
    lin = lambda x, n: x @ W[n + ".weight"].T + (W[n + ".bias"] if n + ".bias" in W else 0)
    split = lambda t, h: t.view(2, T, h, hd).transpose(1, 2)
    x = W["model.embed_tokens.weight"][tok]
    for i in range(layers):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = rope(split(lin(h, p + "self_attn.q_proj"), nh), pos, cfg["rope_theta"], factor)
        k = rope(split(lin(h, p + "self_attn.k_proj"), nkv), pos, cfg["rope_theta"], factor)
        v = split(lin(h, p + "self_attn.v_proj"), nkv)
        k, v = k.repeat_interleave(nh // nkv, dim=1), v.repeat_interleave(nh // nkv, dim=1)  # HF's repeat_kv
        y = attention(q, k, v, mask).transpose(1, 2).reshape(2, T, nh * hd)
        x = x + lin(y, p + "self_attn.o_proj")
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return rms_norm(x, W["model.norm.weight"], eps) @ head.T


def llama(out):
    cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": V, "hidden_size": 16,
           "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
           "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
           "rope_scaling": {"type": "linear", "factor": 2.0}, "tie_word_embeddings": False, "hidden_act": "silu",
           "attention_bias": False, "mlp_bias": False, "bos_token_id": 1, "eos_token_id": 2}
    return cfg, llama_like(out, cfg, "BF16", 2)


def qwen2(out):
    cfg = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": V, "hidden_size": 16,
           "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
           "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None,
           "tie_word_embeddings": True, "hidden_act": "silu", "use_sliding_window": False, "sliding_window": 32,
           "max_window_layers": 2, "bos_token_id": 1, "eos_token_id": 2}
    return cfg, llama_like(out, cfg, "F16", 3)


def main(root):
    for name, build in (("gpt2", gpt2), ("llama", llama), ("qwen2", qwen2)):
        out = os.path.join(root, name)
        os.makedirs(out, exist_ok=True)
        cfg, logits = build(out)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        expected = {"tokens": TOKENS, "positions": POSITIONS, "mask": MASK, "shape": list(logits.shape),
                    "logits": [float("%.9g" % v) for v in logits.flatten().tolist()]}
        with open(os.path.join(out, "expected-logits.json"), "w") as f:
            json.dump(expected, f, separators=(",", ":"))
        print(name, "logits", tuple(logits.shape), "std %.3f" % logits[torch.tensor(MASK).bool()].std().item())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/hf")
