"""Anchor for LlamaScaleBenchmark: the same ~30M-parameter random Llama in plain PyTorch eager (Debian's
python3-torch 1.13), written as a competent user would: RMSNorm, rotate-half RoPE, GQA, SwiGLU, tied embeddings.
No torch.compile, no custom kernels, no fused attention (1.13 has no scaled_dot_product_attention).

Three measurements, each in its own process (so that one mode's freed memory cannot hide or inflate another's peak):
  decode  KV-cached decoding tokens/s: batch 64, 8-token prompts (batched prefill), 64 new tokens, sampling at
          temperature 1; warm-up, then best of 3; the time includes the prefill.
  lora    one GRPO-like update (forward + backward + global-norm clip + AdamW on 16 rows of 32 prompt + 32
          completion tokens, beta = 0 loss) with LoRA (r = 8, alpha = 16 on q, k, v, o), base frozen;
  full    the same update with every weight trainable.
For lora and full: median step time of 3 after 1 warm-up step, and the peak RSS (VmHWM) of the process from the
moment the model and batch are built (reset through /proc/self/clear_refs just before the optimizer is made).
With no --mode the script runs decode, lora and full one after the other, each in a fresh child process.

Changes after profiling the first version (2026-12-06, torch.autograd.profiler over decode steps, load average ~5
from other people's builds), which gave 56 tokens/s and whose training part did not finish in 13 minutes:
  * torch.inference_mode() around decoding (was no_grad: same maths, less autograd bookkeeping);
  * sampling by inverse CDF with one uniform per row (torch.searchsorted on the cumulative probabilities), the same
    algorithm Tropism's TokenDraw uses. torch.multinomial in 1.13 draws one exponential noise per vocabulary entry
    (aten::exponential_, 67 ms per 64 x 32k draw in the profile); cumsum + searchsorted take ~2 ms;
  * GQA by broadcasting the query groups against the shared key/value heads (q viewed as (B, kv, groups, T, hd))
    instead of repeat_interleave (9 ms per call, 16 calls per step in the profile, through ~18k index selects);
  * a preallocated KV cache written in place (HF's StaticCache idea) instead of torch.cat of the whole cache on
    every step and layer (4 ms per call, 16 per step);
  * RoPE cos/sin tables computed once for the context, not per layer and step;
  * training: 1 warm-up + 3 timed steps (was 2 + 5) and one process per mode, so a full run takes minutes;
  * glibc malloc tuned for the anchor (MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_ = 4 GB, MALLOC_TOP_PAD_ =
    256 MB; the script re-executes itself with them unless --plain-malloc or already set). With the defaults, every
    large temporary (the 64 x 32k logits, their softmax) is mmapped or trimmed back to the kernel and faulted in
    again page by page, which is slow in this VM: a softmax over a 64 x 32k slice took ~50 ms with the defaults and
    ~6 ms tuned. Tropism runs with glibc's defaults, so the tuning can only favour the anchor. It keeps freed memory
    in the process, so the anchor's peak RSS may be a little higher than with the defaults.
The model, the shapes, the loss and the optimizer are unchanged. OpenMP threads busy-wait: when another process
holds a core, eager PyTorch with 2 threads slows down far more than in proportion; run it under the bench lock.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/hf-reference/llama_anchor.py [--mode M]
Needs Debian packages python3-torch and libopenblas0-pthread."""
import argparse, math, os, subprocess, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--vocab", type=int, default=32000); p.add_argument("--d", type=int, default=384)
p.add_argument("--layers", type=int, default=8); p.add_argument("--heads", type=int, default=6)
p.add_argument("--kv-heads", type=int, default=2); p.add_argument("--ffn", type=int, default=1536)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--mode", choices=["decode", "lora", "full"], help="one measurement; all three, one process each, "
               "when left out")
p.add_argument("--plain-malloc", action="store_true", help="keep glibc's default malloc thresholds")
a = p.parse_args()
if not a.plain_malloc and "MALLOC_TRIM_THRESHOLD_" not in os.environ:  # see the docstring: glibc reads these at start
    tuned = dict(os.environ, MALLOC_TRIM_THRESHOLD_="4000000000", MALLOC_MMAP_THRESHOLD_="4000000000",
                 MALLOC_TOP_PAD_="268435456")
    os.execve(sys.executable, [sys.executable, __file__] + sys.argv[1:], tuned)
if a.mode is None:
    for mode in ("decode", "lora", "full"):
        subprocess.run([sys.executable, __file__, "--mode", mode] + sys.argv[1:], check=True)
    raise SystemExit(0)
torch.set_num_threads(a.threads); torch.manual_seed(0)
HD = a.d // a.heads
GROUPS = a.heads // a.kv_heads
CONTEXT = 256
DECODE_BATCH, PROMPT, NEW = 64, 8, 64
ROWS, TP, TC, WARMUP, STEPS = 16, 32, 32, 1, 3


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


# RoPE tables for every position of the context, HF's rotate-half form, theta 10000: (CONTEXT, HD) each
_inv = 1.0 / (10000 ** (torch.arange(0, HD, 2, dtype=torch.float32) / HD))
_ang = torch.arange(CONTEXT, dtype=torch.float32)[:, None] * _inv[None]
COS, SIN = torch.cat([_ang, _ang], -1).cos(), torch.cat([_ang, _ang], -1).sin()


def rope(x, pos0):  # x (B, h, T, hd), positions pos0 .. pos0 + T - 1
    T = x.size(2); cos, sin = COS[pos0:pos0 + T], SIN[pos0:pos0 + T]  # (T, hd)
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
    def forward(s, x, pos0, cache=None):
        B, T, _ = x.shape
        h = s.ln1(x)
        q = rope(s.q(h).view(B, T, a.heads, HD).transpose(1, 2), pos0)  # (B, nh, T, hd)
        k = rope(s.k(h).view(B, T, a.kv_heads, HD).transpose(1, 2), pos0)  # (B, nkv, T, hd)
        v = s.v(h).view(B, T, a.kv_heads, HD).transpose(1, 2)  # (B, nkv, T, hd)
        if cache is not None:  # preallocated (B, nkv, CONTEXT, hd) keys and values, written in place
            cache[0][:, :, pos0:pos0 + T] = k; cache[1][:, :, pos0:pos0 + T] = v
            k, v = cache[0][:, :, :pos0 + T], cache[1][:, :, :pos0 + T]  # (B, nkv, L, hd)
        L = k.size(2)
        qg = q.view(B, a.kv_heads, GROUPS, T, HD)  # query head j reads k/v head j // GROUPS, as repeat_kv
        att = (qg @ k.unsqueeze(2).transpose(-2, -1)) / math.sqrt(HD)  # (B, nkv, groups, T, L)
        if T > 1:
            mask = torch.ones(T, L, dtype=torch.bool).tril(L - T)
            att = att.masked_fill(~mask, float("-inf"))
        y = (att.softmax(-1) @ v.unsqueeze(2)).view(B, a.heads, T, HD)  # (B, nh, T, hd)
        x = x + s.o(y.transpose(1, 2).reshape(B, T, a.heads * HD))
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
        x = s.embed(idx)  # (B, T, d)
        for i, b in enumerate(s.layers):
            x = b(x, pos0, None if caches is None else caches[i])
        return s.norm(x) @ s.embed.weight.T  # tied head: (B, T, V)


m = Llama(); n = sum(p.numel() for p in m.parameters())
print(f"[{a.mode}] torch {torch.__version__}, {a.threads} threads, params {n:,}")

if a.mode == "decode":  # batched prefill, then one token per step
    prompts = torch.randint(2, a.vocab, (DECODE_BATCH, PROMPT))
    g = torch.Generator().manual_seed(3)
    def decode():
        with torch.inference_mode():
            t = time.perf_counter()
            caches = [[torch.empty(DECODE_BATCH, a.kv_heads, CONTEXT, HD) for _ in range(2)] for _ in range(a.layers)]
            logits = m(prompts, 0, caches); out = []
            for i in range(NEW):
                cdf = logits[:, -1].softmax(-1).cumsum(-1)  # (B, V)
                u = torch.rand(DECODE_BATCH, 1, generator=g) * cdf[:, -1:]  # one uniform per row
                nxt = torch.searchsorted(cdf, u).clamp_(max=a.vocab - 1); out.append(nxt)  # (B, 1)
                if i < NEW - 1:
                    logits = m(nxt, PROMPT + i, caches)
            return DECODE_BATCH * NEW / (time.perf_counter() - t)
    decode()
    best = max(decode() for _ in range(3))
    print(f"decode (KV cache, batch {DECODE_BATCH}, prompt {PROMPT}, {NEW} new tokens, best of 3): {best:,.0f} tokens/s")
    raise SystemExit(0)

# a GRPO-like update under LoRA or full fine-tuning
g = torch.Generator().manual_seed(11)
seq = torch.randint(2, a.vocab, (ROWS, TP + TC), generator=g)
inputs, targets = seq[:, :-1], seq[:, TP:]
adv = torch.randn(ROWS, 1, generator=g)
if a.mode == "lora":
    for prm in m.parameters():
        prm.requires_grad_(False)
    for b in m.layers:
        for lin in (b.q, b.k, b.v, b.o):
            lin.add_lora(8, 16)
    params, label = [p for n_, p in m.named_parameters() if n_.endswith(".A") or n_.endswith(".B")], "LoRA r=8 (q,k,v,o)"
else:
    params, label = list(m.parameters()), "full fine-tuning"
reset_peak_rss(); before = status("VmRSS")
opt = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0)
ms = []
for step in range(WARMUP + STEPS):
    t = time.perf_counter()
    logits = m(inputs)[:, TP - 1:]  # (B, Tc, V)
    logp = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (B, Tc)
    loss = -(torch.exp(logp - logp.detach()) * adv).mean()
    opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
    if step >= WARMUP:
        ms.append((time.perf_counter() - t) * 1e3)
peak = status("VmHWM"); count = sum(p.numel() for p in params)
print(f"train {label}: {count:,} trainable, {ROWS} rows x ({TP} + {TC}) tokens, step median "
      f"{sorted(ms)[STEPS // 2]:.0f} ms (steps {'/'.join(f'{x:.0f}' for x in ms)}), RSS before {before // 1024} MiB, "
      f"peak RSS {peak // 1024} MiB (+{(peak - before) // 1024} MiB)")
