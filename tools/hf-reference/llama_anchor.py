"""Anchor for LlamaScaleBenchmark: the same ~30M-parameter random Llama in plain PyTorch eager (Debian's
python3-torch), written as a user would: RMSNorm, rotate-half RoPE, GQA, SwiGLU, tied embeddings.
Measures KV-cached decoding tokens/s (batch 64, 8-token prompts, 64 new tokens, multinomial sampling at
temperature 1), and one GRPO-like update (forward + backward + global-norm clip + AdamW on 16 rows of
32 prompt + 32 completion tokens, beta = 0 loss) with LoRA (r = 8, alpha = 16 on q, k, v, o) and with full
fine-tuning, each with its peak RSS (VmHWM, reset through /proc/self/clear_refs before each).
Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/hf-reference/llama_anchor.py
Needs Debian packages python3-torch and libopenblas0-pthread."""
import argparse, math, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--vocab", type=int, default=32000); p.add_argument("--d", type=int, default=384)
p.add_argument("--layers", type=int, default=8); p.add_argument("--heads", type=int, default=6)
p.add_argument("--kv-heads", type=int, default=2); p.add_argument("--ffn", type=int, default=1536)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--decode-only", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0)
HD = a.d // a.heads
DECODE_BATCH, PROMPT, NEW = 64, 8, 64
ROWS, TP, TC, WARMUP, STEPS = 16, 32, 32, 2, 5


def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # KiB


def reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


class RMSNorm(nn.Module):
    def __init__(s, d, eps=1e-6):
        super().__init__(); s.weight = nn.Parameter(torch.ones(d)); s.eps = eps
    def forward(s, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + s.eps) * s.weight


class LoraLinear(nn.Module):
    """y = x W^T + (alpha / r) (x A^T) B^T, with A, B only when r > 0."""
    def __init__(s, i, o):
        super().__init__(); s.weight = nn.Parameter(torch.randn(o, i) * 0.02); s.r = 0
    def add_lora(s, r, alpha):
        s.r = r; s.scale = alpha / r
        s.A = nn.Parameter(torch.empty(r, s.weight.size(1)).uniform_(-1, 1) / math.sqrt(s.weight.size(1)))
        s.B = nn.Parameter(torch.zeros(s.weight.size(0), r))
    def forward(s, x):
        y = F.linear(x, s.weight)
        return y if s.r == 0 else y + F.linear(F.linear(x, s.A), s.B) * s.scale


def rope(x, pos):  # x (B, h, T, hd), pos (T); HF's rotate-half form, theta 10000
    inv = 1.0 / (10000 ** (torch.arange(0, HD, 2, dtype=torch.float32) / HD))
    f = pos[:, None].float() * inv[None]; emb = torch.cat([f, f], -1)
    cos, sin = emb.cos(), emb.sin()
    x1, x2 = x[..., :HD // 2], x[..., HD // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1 = RMSNorm(a.d); s.ln2 = RMSNorm(a.d)
        s.q = LoraLinear(a.d, a.heads * HD); s.k = LoraLinear(a.d, a.kv_heads * HD)
        s.v = LoraLinear(a.d, a.kv_heads * HD); s.o = LoraLinear(a.heads * HD, a.d)
        s.gate = nn.Linear(a.d, a.ffn, bias=False); s.up = nn.Linear(a.d, a.ffn, bias=False)
        s.down = nn.Linear(a.ffn, a.d, bias=False)
    def forward(s, x, pos, cache=None):
        B, T, _ = x.shape
        h = s.ln1(x)
        q = s.q(h).view(B, T, a.heads, HD).transpose(1, 2)
        k = s.k(h).view(B, T, a.kv_heads, HD).transpose(1, 2)
        v = s.v(h).view(B, T, a.kv_heads, HD).transpose(1, 2)
        q, k = rope(q, pos), rope(k, pos)
        if cache is not None:
            if cache[0] is not None:
                k = torch.cat([cache[0], k], 2); v = torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        rep = a.heads // a.kv_heads
        k = k.repeat_interleave(rep, 1); v = v.repeat_interleave(rep, 1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HD)
        if T > 1:
            L = k.size(2); mask = torch.ones(T, L, dtype=torch.bool).tril(L - T)
            att = att.masked_fill(~mask, float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, a.heads * HD)
        x = x + s.o(y)
        h = s.ln2(x)
        return x + s.down(F.silu(s.gate(h)) * s.up(h))


class Llama(nn.Module):
    def __init__(s):
        super().__init__(); s.embed = nn.Embedding(a.vocab, a.d); nn.init.normal_(s.embed.weight, std=0.02)
        s.layers = nn.ModuleList(Block() for _ in range(a.layers)); s.norm = RMSNorm(a.d)
        for n_, prm in s.named_parameters():
            if prm.dim() == 2 and "embed" not in n_:
                nn.init.normal_(prm, std=0.02)
    def forward(s, idx, pos0=0, caches=None):
        x = s.embed(idx); pos = torch.arange(pos0, pos0 + idx.size(1))
        for i, b in enumerate(s.layers):
            x = b(x, pos, None if caches is None else caches[i])
        return s.norm(x) @ s.embed.weight.T  # tied head


m = Llama(); n = sum(p.numel() for p in m.parameters())
print(f"torch {torch.__version__}, {a.threads} threads, params {n:,}")

# 1. decoding with the KV cache: batched prefill, then one token per step
prompts = torch.randint(2, a.vocab, (DECODE_BATCH, PROMPT))
def decode():
    with torch.no_grad():
        t = time.perf_counter(); caches = [[None, None] for _ in range(a.layers)]
        logits = m(prompts, 0, caches); out = []
        for i in range(NEW):
            nxt = torch.multinomial(logits[:, -1].softmax(-1), 1); out.append(nxt)
            if i < NEW - 1:
                logits = m(nxt, PROMPT + i, caches)
        return DECODE_BATCH * NEW / (time.perf_counter() - t)
decode()
best = max(decode() for _ in range(3))
print(f"decode (KV cache, batch {DECODE_BATCH}, prompt {PROMPT}, {NEW} new tokens, best of 3): {best:,.0f} tokens/s")

# 2. + 3. a GRPO-like update: LoRA first, then full fine-tuning
if a.decode_only:
    raise SystemExit(0)
g = torch.Generator().manual_seed(11)
seq = torch.randint(2, a.vocab, (ROWS, TP + TC), generator=g)
inputs, targets = seq[:, :-1], seq[:, TP:]
adv = torch.randn(ROWS, 1, generator=g)

def train(label, params):
    reset_peak_rss(); before = status("VmRSS")
    opt = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0)
    ms = []
    for step in range(WARMUP + STEPS):
        t = time.perf_counter()
        logits = m(inputs)[:, TP - 1:]  # (B, Tc, V)
        logp = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        loss = -(torch.exp(logp - logp.detach()) * adv).mean()
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
        if step >= WARMUP:
            ms.append((time.perf_counter() - t) * 1e3)
    peak = status("VmHWM"); count = sum(p.numel() for p in params)
    del opt
    print(f"train {label}: {count:,} trainable, {ROWS} rows x ({TP} + {TC}) tokens, step median "
          f"{sorted(ms)[STEPS // 2]:.0f} ms (steps {'/'.join(f'{x:.0f}' for x in ms)}), RSS before {before // 1024} MiB, "
          f"peak RSS {peak // 1024} MiB (+{(peak - before) // 1024} MiB)")

for prm in m.parameters():
    prm.requires_grad_(False)
for b in m.layers:
    for lin in (b.q, b.k, b.v, b.o):
        lin.add_lora(8, 16)
train("LoRA r=8 (q,k,v,o)", [p for n_, p in m.named_parameters() if n_.endswith(".A") or n_.endswith(".B")])
for b in m.layers:
    for lin in (b.q, b.k, b.v, b.o):
        lin.r = 0; del lin.A, lin.B
for prm in m.parameters():
    prm.requires_grad_(True)
train("full fine-tuning", list(m.parameters()))
