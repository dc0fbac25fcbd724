"""ModernBERT train step and extraction in PyTorch: the reference side of `bench:train --vs-torch`,
`bench:extract --shape base --vs-torch` and test/torch/torch-parity.test.ts.

The maths is the engine's (native-runner/model/modernbert.ts, train/objectives.ts, train/adamw.ts), which
is HF's ModernBertForMaskedLM with eager attention: an additive [B, 1, T, T] mask, no dropout, float32.
Parameters are plain tensors keyed by their HF state-dict names, so a safetensors file our engine writes
loads here as is, and freezing is `requires_grad = False` on the names the engine's FreezeSpec names.

A persistent process: one JSON object per line on stdin, one reply per line on stdout.
  {"cmd": "init", "config": {HF config fields}, "objective": "mlm"|"clm", "freeze": {"embeddings": bool,
   "layers": [int], "head": bool}, "hyper": {...}, "weights": path | "seed": int}     -> {"ok": true, "params": n}
  {"cmd": "step", "B", "T", "input_ids", "attention_mask", "labels" (flat lists), "lr"}
                                                                 -> {"ms", "loss", "grad_norm", "tokens"}
  {"cmd": "extract", "texts": [[ids]], "batch": B}                  -> {"ms", "tokens", "checksum"}
  {"cmd": "quit"}
Errors come back as {"error": message}; the process keeps serving.
Run with: /usr/bin/python3 scripts/torch/modernbert_step.py --threads 2 (Debian's python3-torch).
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

NEG_BIAS = -1e9  # the engine's additive mask value (HF uses finfo.min; both make exp() exactly 0)


# ---------------------------------------------------------------- parameters

def param_specs(cfg):
    """(name, shape, init std, weight decay) in HF state-dict order, as native-runner/model/params.ts."""
    D, F_, V, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    std_in = cfg["initializer_range"]
    std_out = std_in / math.sqrt(2 * L)
    specs = [("model.embeddings.tok_embeddings.weight", (V, D), std_in, True),
             ("model.embeddings.norm.weight", (D,), 0, False)]
    for i in range(L):
        p = f"model.layers.{i}."
        if i > 0:  # layer 0's attn_norm is nn.Identity
            specs.append((p + "attn_norm.weight", (D,), 0, False))
        specs += [(p + "attn.Wqkv.weight", (3 * D, D), std_in, True),
                  (p + "attn.Wo.weight", (D, D), std_out, True),
                  (p + "mlp_norm.weight", (D,), 0, False),
                  (p + "mlp.Wi.weight", (2 * F_, D), std_in, True),
                  (p + "mlp.Wo.weight", (D, F_), std_out, True)]
    specs += [("model.final_norm.weight", (D,), 0, False),
              ("head.dense.weight", (D, D), std_out, True),
              ("head.norm.weight", (D,), 0, False),
              ("decoder.bias", (V,), 0, False)]
    return specs


def read_safetensors(path):
    """Float32 tensors of a safetensors file: 8-byte little-endian header length, JSON header, data."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}, only F32 is read here")
        start, end = info["data_offsets"]
        arr = np.frombuffer(buf, dtype="<f4", count=(end - start) // 4, offset=8 + n + start)
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())  # copy: own, writable memory
    return out


def make_params(cfg, weights=None, seed=0):
    """Parameters from a safetensors file (same values as the engine), or seeded HF-style init
    (truncated normal at ±cutoff·std, norms 1, bias 0) when only timing matters."""
    loaded = read_safetensors(weights) if weights else None
    gen = torch.Generator().manual_seed(seed)
    cutoff = cfg.get("initializer_cutoff_factor", 2.0)
    params = {}
    for name, shape, std, _ in param_specs(cfg):
        if loaded is not None:
            t = loaded[name]
            if tuple(t.shape) != shape:
                raise ValueError(f"{weights}: {name} has shape {list(t.shape)}, expected {list(shape)}")
        elif std > 0:
            t = torch.empty(shape)
            # torch's trunc_normal_ takes no generator in 1.13: draw N(0,1), redraw the outliers
            t.normal_(0, 1, generator=gen)
            while True:
                bad = t.abs() > cutoff
                if not bad.any():
                    break
                t[bad] = torch.empty(int(bad.sum())).normal_(0, 1, generator=gen)
            t.mul_(std)
        else:
            t = torch.ones(shape) if name.endswith("norm.weight") else torch.zeros(shape)
        params[name] = t.contiguous()
    return params


# ---------------------------------------------------------------- model

def rope_tables(T, hd, theta):
    """HF's ModernBertRotaryEmbedding (default rope type): cos/sin of cat(freqs, freqs), float32, [T, hd]."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = torch.outer(torch.arange(T, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def attention_biases(mask, local_attention, causal):
    """Additive [B, 1, T, T] biases (global, local) from attention_mask [B, T], as attention-bias.ts:
    hide padding keys; local layers hide |i - j| > local_attention // 2; CLM hides j > i."""
    B, T = mask.shape
    pos = torch.arange(T)
    diff = pos[None, :] - pos[:, None]                      # [T, T]: j - i
    future = diff > 0
    outside = diff.abs() > local_attention // 2
    pad = (mask[:, None, None, :] == 0)                      # [B, 1, 1, T]

    def bias(hide):
        hide = pad | hide[None, None] if hide is not None else pad.expand(B, 1, T, T)
        return torch.zeros(hide.shape).masked_fill_(hide, NEG_BIAS)

    return bias(future if causal else None), bias(outside | future if causal else outside)


class ModernBert:
    def __init__(self, cfg, params):
        self.cfg, self.p = cfg, params
        self.D, self.H = cfg["hidden_size"], cfg["num_attention_heads"]
        self.hd = self.D // self.H
        self.eps = cfg["norm_eps"]
        self._rope = {}

    def rope(self, T, theta):
        key = (T, theta)
        if key not in self._rope:
            self._rope[key] = rope_tables(T, self.hd, theta)
        return self._rope[key]

    def ln(self, x, name):
        return F.layer_norm(x, (self.D,), self.p[name], None, self.eps)  # norm_bias = false

    def forward(self, ids, mask, causal):
        """Hidden states (embedding output + every layer's output, pre final_norm) and the final-norm
        output, each [B, T, D]. Eager attention as HF: scores = q·kᵀ/√hd + additive mask, softmax, ·v."""
        cfg, p = self.cfg, self.p
        B, T = ids.shape
        D, H, hd = self.D, self.H, self.hd
        g_bias, l_bias = attention_biases(mask, cfg["local_attention"], causal)
        h = self.ln(F.embedding(ids, p["model.embeddings.tok_embeddings.weight"]), "model.embeddings.norm.weight")
        hidden = [h]
        for i in range(cfg["num_hidden_layers"]):
            pre = f"model.layers.{i}."
            is_global = i % cfg["global_attn_every_n_layers"] == 0
            cos, sin = self.rope(T, cfg["global_rope_theta"] if is_global else cfg["local_rope_theta"])
            a = h if i == 0 else self.ln(h, pre + "attn_norm.weight")
            qkv = F.linear(a, p[pre + "attn.Wqkv.weight"]).view(B, T, 3, H, hd).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)                                          # [B, H, T, hd] each
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + (g_bias if is_global else l_bias)
            ctx = torch.matmul(scores.softmax(dim=-1), v)                    # [B, H, T, hd]
            h = h + F.linear(ctx.transpose(1, 2).reshape(B, T, D), p[pre + "attn.Wo.weight"])
            x_in, gate = F.linear(self.ln(h, pre + "mlp_norm.weight"), p[pre + "mlp.Wi.weight"]).chunk(2, dim=-1)
            h = h + F.linear(F.gelu(x_in) * gate, p[pre + "mlp.Wo.weight"])  # GeGLU, exact erf gelu
            hidden.append(h)
        return hidden, self.ln(h, "model.final_norm.weight")

    def head(self, x):
        """MLM head + tied decoder: LN(gelu(x·denseᵀ))·tok_embᵀ + decoder.bias."""
        p = self.p
        x = F.layer_norm(F.gelu(F.linear(x, p["head.dense.weight"])), (self.D,), p["head.norm.weight"], None, self.eps)
        return F.linear(x, p["model.embeddings.tok_embeddings.weight"], p["decoder.bias"])

    def loss(self, ids, mask, labels, objective):
        """Mean cross-entropy over labelled real tokens. CLM: causal attention, dense head. MLM: sparse
        prediction (HF sparse_prediction): head and decoder only on the labelled rows, as the engine."""
        _, last = self.forward(ids, mask, causal=objective == "clm")
        labels = labels.masked_fill(mask == 0, -100)                 # padding never carries a loss
        flat, lab = last.reshape(-1, self.D), labels.reshape(-1)
        if objective == "mlm":
            keep = lab != -100
            flat, lab = flat[keep], lab[keep]
        return F.cross_entropy(self.head(flat), lab, ignore_index=-100), int((lab != -100).sum())


# ---------------------------------------------------------------- training state

def frozen_names(cfg, freeze):
    """Parameter names a FreezeSpec freezes (native-runner/train/freeze.ts). The decoder weight is
    tok_embeddings, so it follows `embeddings`; decoder.bias and final_norm belong to the head."""
    layers = set(freeze.get("layers", []))
    out = set()
    for name, *_ in param_specs(cfg):
        if name.startswith("model.embeddings."):
            hit = freeze.get("embeddings", False)
        elif name.startswith("model.layers."):
            hit = int(name.split(".")[2]) in layers
        else:
            hit = freeze.get("head", False)
        if hit:
            out.add(name)
    return out


class Trainer:
    def __init__(self, msg):
        cfg = msg["config"]
        params = make_params(cfg, msg.get("weights"), msg.get("seed", 0))
        frozen = frozen_names(cfg, msg.get("freeze", {}))
        decay, no_decay = [], []
        for name, _, _, wd in param_specs(cfg):
            t = params[name]
            # requires_grad False: autograd skips frozen weight gradients and, below the lowest
            # trainable parameter, the whole backward pass (the engine's freeze-specific graphs do the same)
            t.requires_grad_(name not in frozen)
            if name not in frozen:
                (decay if wd else no_decay).append(t)
        h = msg.get("hyper", {})
        self.trainable = decay + no_decay
        self.clip = h.get("clipGradNorm", 1.0)
        # torch.optim.AdamW defaults on the CPU in 1.13: single-tensor loop (foreach off)
        self.opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": h.get("weightDecay", 1e-5)}, {"params": no_decay, "weight_decay": 0.0}],
            lr=1e-4, betas=(h.get("beta1", 0.9), h.get("beta2", 0.98)), eps=h.get("eps", 1e-6))
        self.model = ModernBert(cfg, params)
        self.objective = msg.get("objective", "mlm")
        self.n_params = sum(t.numel() for t in params.values())

    def step(self, msg):
        B, T = msg["B"], msg["T"]
        ids = torch.tensor(msg["input_ids"], dtype=torch.int64).view(B, T)
        mask = torch.tensor(msg["attention_mask"], dtype=torch.int64).view(B, T)
        labels = torch.tensor(msg["labels"], dtype=torch.int64).view(B, T)
        for g in self.opt.param_groups:
            g["lr"] = msg.get("lr", 2e-4)
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        loss, tokens = self.model.loss(ids, mask, labels, self.objective)
        loss.backward()
        # clip_grad_norm_ returns the norm before clipping, as the engine's grad_norm
        norm = torch.nn.utils.clip_grad_norm_(self.trainable, self.clip if self.clip is not None else float("inf"))
        self.opt.step()
        ms = (time.perf_counter() - t0) * 1000
        return {"ms": ms, "loss": float(loss), "grad_norm": float(norm), "tokens": tokens}


def extract(model, msg):
    """Forward (no head) over texts in batches, mean pooling of every hidden state over real tokens,
    as native-runner/activations/extract.ts with poolings ['mean']: the texts are padded to their
    longest, each batch's hidden states pooled. Times all of it, tensor building included."""
    texts, B = msg["texts"], msg["batch"]
    pad = model.cfg.get("pad_token_id", 0)
    t0 = time.perf_counter()
    checksum = 0.0
    with torch.inference_mode():
        for s in range(0, len(texts), B):
            rows = texts[s:s + B]
            T = max(len(r) for r in rows)
            ids = torch.full((len(rows), T), pad, dtype=torch.int64)
            mask = torch.zeros((len(rows), T), dtype=torch.int64)
            for b, r in enumerate(rows):
                ids[b, :len(r)] = torch.tensor(r)
                mask[b, :len(r)] = 1
            hidden, _ = model.forward(ids, mask, causal=False)
            m = mask.unsqueeze(-1).float()
            pooled = [(h * m).sum(1) / m.sum(1) for h in hidden]          # [B, D] per hidden state
            checksum += float(sum(x.abs().sum() for x in pooled))  # Σ|pooled|: both sides pooled alike
    ms = (time.perf_counter() - t0) * 1000
    return {"ms": ms, "tokens": sum(len(r) for r in texts), "checksum": checksum}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)   # intra-op threads, as the engine's intraOpNumThreads
    torch.set_grad_enabled(True)
    trainer = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
            cmd = msg.get("cmd")
            if cmd == "init":
                trainer = None                    # free the previous model first
                trainer = Trainer(msg)
                reply = {"ok": True, "params": trainer.n_params, "torch": torch.__version__, "threads": torch.get_num_threads()}
            elif cmd == "step":
                if trainer is None:
                    raise RuntimeError("step before init")
                reply = trainer.step(msg)
            elif cmd == "extract":
                if trainer is None:
                    raise RuntimeError("extract before init")
                reply = extract(trainer.model, msg)
            elif cmd == "quit":
                break
            else:
                raise ValueError(f"unknown cmd {cmd!r}")
        except Exception as e:  # report and keep serving: the harness decides what to do
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
