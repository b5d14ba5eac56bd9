#!/usr/bin/python3
"""Writes the built-in demo family to public/demo/ (run with Debian's /usr/bin/python3 + torch).

A tiny OpenVLA-shaped model (vision backbone, projector, Llama-style LM, action head; bf16
everywhere, norm weights too) in four checkpoints that follow the CapVector story:

    theta_sft  = theta_pre + delta + eps_sft           (standard SFT on the extraction tasks)
    theta_aux  = theta_pre + delta + gamma + eps_aux   (auxiliary-objective SFT, e.g. Spatial Forcing)
    theta_down = bf16(theta_meta + Delta),  theta_meta = bf16(pre) + ALPHA * (bf16(aux) - bf16(sft))

* delta (the common task update) touches every tensor, more in the action head and late LM layers;
* gamma (the capability) lives in the vision backbone's later blocks, the projector and the middle
  LM layers, and is near zero elsewhere, so heatmaps of |aux - sft| show where the capability sits;
* Delta (the downstream update) is orthogonal to the measured gamma per tensor, except in a few
  named tensors where it is partly aligned to it (cosine ALIGNED_COS), i.e. where downstream
  learning overwrites the capability.

Everything is seeded and deterministic. The ground truth goes into manifest.json for tests.
Usage: /usr/bin/python3 scripts/make_demo.py [OUT_DIR]
"""
import json
import math
import os
import struct
import sys

import torch

SEED = 20260513
ALPHA = 1.0
ALIGNED_COS = {  # tensor-name prefix -> target cosine(Delta, gamma)
    'language_model.model.layers.4.': 0.6,
    'vision_backbone.featurizer.blocks.5.attn.qkv.weight': 0.4,
}
VIS_DIM, VIS_DEPTH, VIS_MLP, PATCH, TOKENS = 64, 6, 256, 8, 17
LM_DIM, LM_LAYERS, LM_INTER, VOCAB = 64, 8, 176, 512
ACTION_DIM, ACTION_CHUNK = 7, 8

VIS_PROFILE = [0.0, 0.0, 0.2, 0.6, 1.0, 0.9]  # gamma weight per vision block
LM_PROFILE = [math.exp(-0.5 * ((l - 3.5) / 1.2) ** 2) for l in range(LM_LAYERS)]  # bump on layers 2-5


def architecture():
    """(name, shape, kind) in export order; kind picks the init."""
    out = []
    vb = 'vision_backbone.featurizer'
    out += [(f'{vb}.cls_token', (1, 1, VIS_DIM), 'embed'), (f'{vb}.pos_embed', (1, TOKENS, VIS_DIM), 'embed'),
            (f'{vb}.patch_embed.proj.weight', (VIS_DIM, 3, PATCH, PATCH), 'linear'), (f'{vb}.patch_embed.proj.bias', (VIS_DIM,), 'bias')]
    for b in range(VIS_DEPTH):
        p = f'{vb}.blocks.{b}'
        out += [(f'{p}.norm1.weight', (VIS_DIM,), 'norm'), (f'{p}.norm1.bias', (VIS_DIM,), 'bias'),
                (f'{p}.attn.qkv.weight', (3 * VIS_DIM, VIS_DIM), 'linear'), (f'{p}.attn.qkv.bias', (3 * VIS_DIM,), 'bias'),
                (f'{p}.attn.proj.weight', (VIS_DIM, VIS_DIM), 'linear'), (f'{p}.attn.proj.bias', (VIS_DIM,), 'bias'),
                (f'{p}.norm2.weight', (VIS_DIM,), 'norm'), (f'{p}.norm2.bias', (VIS_DIM,), 'bias'),
                (f'{p}.mlp.fc1.weight', (VIS_MLP, VIS_DIM), 'linear'), (f'{p}.mlp.fc1.bias', (VIS_MLP,), 'bias'),
                (f'{p}.mlp.fc2.weight', (VIS_DIM, VIS_MLP), 'linear'), (f'{p}.mlp.fc2.bias', (VIS_DIM,), 'bias')]
    out += [(f'{vb}.norm.weight', (VIS_DIM,), 'norm'), (f'{vb}.norm.bias', (VIS_DIM,), 'bias')]
    out += [('projector.fc1.weight', (2 * LM_DIM, VIS_DIM), 'linear'), ('projector.fc1.bias', (2 * LM_DIM,), 'bias'),
            ('projector.fc2.weight', (LM_DIM, 2 * LM_DIM), 'linear'), ('projector.fc2.bias', (LM_DIM,), 'bias')]
    lm = 'language_model.model'
    out += [(f'{lm}.embed_tokens.weight', (VOCAB, LM_DIM), 'embed')]
    for l in range(LM_LAYERS):
        p = f'{lm}.layers.{l}'
        out += [(f'{p}.self_attn.{m}_proj.weight', (LM_DIM, LM_DIM), 'linear') for m in 'qkvo']
        out += [(f'{p}.mlp.gate_proj.weight', (LM_INTER, LM_DIM), 'linear'), (f'{p}.mlp.up_proj.weight', (LM_INTER, LM_DIM), 'linear'),
                (f'{p}.mlp.down_proj.weight', (LM_DIM, LM_INTER), 'linear'),
                (f'{p}.input_layernorm.weight', (LM_DIM,), 'norm'), (f'{p}.post_attention_layernorm.weight', (LM_DIM,), 'norm')]
    out += [(f'{lm}.norm.weight', (LM_DIM,), 'norm'), ('language_model.lm_head.weight', (VOCAB, LM_DIM), 'linear')]
    out += [('action_head.model.fc1.weight', (2 * LM_DIM, LM_DIM), 'linear'), ('action_head.model.fc1.bias', (2 * LM_DIM,), 'bias'),
            ('action_head.model.fc2.weight', (ACTION_DIM * ACTION_CHUNK, 2 * LM_DIM), 'linear'),
            ('action_head.model.fc2.bias', (ACTION_DIM * ACTION_CHUNK,), 'bias')]
    return out


def layer_of(name, prefix):
    rest = name[len(prefix):]
    return int(rest.split('.')[0])


def gamma_weight(name):
    """Where the capability lives (0..1)."""
    if name.startswith('vision_backbone.featurizer.blocks.'):
        return VIS_PROFILE[layer_of(name, 'vision_backbone.featurizer.blocks.')]
    if name.startswith('projector.'):
        return 1.0
    if name.startswith('language_model.model.layers.'):
        return LM_PROFILE[layer_of(name, 'language_model.model.layers.')]
    return 0.0


def task_weight(name):
    """How much the common task update touches a tensor: most in the action head and late LM layers."""
    if name.startswith('action_head.'):
        return 3.0
    if name.startswith('language_model.model.layers.'):
        return 0.6 + 0.8 * layer_of(name, 'language_model.model.layers.') / (LM_LAYERS - 1)
    if name.startswith('language_model.'):
        return 0.5
    return 0.6


def init(shape, kind, g):
    if kind == 'norm':
        return 1.0 + 0.02 * torch.randn(shape, generator=g, dtype=torch.float64)
    if kind == 'bias':
        return 0.01 * torch.randn(shape, generator=g, dtype=torch.float64)
    if kind == 'embed':
        return 0.02 * torch.randn(shape, generator=g, dtype=torch.float64)
    fan_in = math.prod(shape[1:])
    return torch.randn(shape, generator=g, dtype=torch.float64) / math.sqrt(fan_in)


def structured(shape, g, rank):
    """A low-rank matrix plus a little dense noise, unit RMS: updates of finetunes look like this."""
    if len(shape) < 2:
        x = torch.randn(shape, generator=g, dtype=torch.float64)
    else:
        rows, cols = shape[0], math.prod(shape[1:])
        u = torch.randn(rows, rank, generator=g, dtype=torch.float64)
        v = torch.randn(rank, cols, generator=g, dtype=torch.float64)
        x = (u @ v).reshape(shape) + 0.3 * math.sqrt(rank) * torch.randn(shape, generator=g, dtype=torch.float64)
    return x / x.pow(2).mean().sqrt()


def rms(t):
    return float(t.pow(2).mean().sqrt())


def bf16(t):
    return t.to(torch.bfloat16).to(torch.float64)


def st_bytes(tensors, metadata):
    """safetensors bytes, written by hand (there is no safetensors package here): BF16 only."""
    header = {'__metadata__': metadata}
    blobs, offset = [], 0
    for name, t in tensors:
        raw = t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().astype('<i2').tobytes()
        header[name] = {'dtype': 'BF16', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'public', 'demo')
    g = torch.Generator().manual_seed(SEED)
    arch = architecture()
    pre, sft, aux, down = {}, {}, {}, {}
    aligned_report = {}
    for name, shape, kind in arch:
        p = init(shape, kind, g)
        scale = rms(p) if kind != 'norm' else 0.02
        delta = 0.03 * scale * task_weight(name) * structured(shape, g, 4)
        gamma = 0.06 * scale * gamma_weight(name) * structured(shape, g, 2)
        eps_sft = 0.004 * scale * torch.randn(shape, generator=g, dtype=torch.float64)
        eps_aux = 0.004 * scale * torch.randn(shape, generator=g, dtype=torch.float64)
        pre[name] = bf16(p)
        sft[name] = bf16(p + delta + eps_sft)
        aux[name] = bf16(p + delta + gamma + eps_aux)
        # The downstream run starts from the meta model built from the *stored* (bf16) checkpoints.
        g_hat = aux[name] - sft[name]
        meta = pre[name] + ALPHA * g_hat
        r = 0.03 * scale * structured(shape, g, 4)
        gg = float((g_hat * g_hat).sum())
        if gg > 0:
            r = r - (float((r * g_hat).sum()) / gg) * g_hat  # orthogonal to gamma
        cos = next((c for pfx, c in ALIGNED_COS.items() if name.startswith(pfx)), 0.0)
        if cos and gg > 0:
            # Mix in gamma so that cos(Delta, gamma) = cos, keeping |Delta| = |r|.
            rn = math.sqrt(float((r * r).sum()))
            r = math.sqrt(1 - cos * cos) * r + cos * rn * g_hat / math.sqrt(gg)
            aligned_report[name] = cos
        down[name] = bf16(meta + r)

    order = [n for n, _, _ in arch]
    meta_common = {'format': 'pt', 'demo': 'capvector-demo-openvla-tiny', 'seed': str(SEED)}
    write(os.path.join(out, 'pre.safetensors'), st_bytes([(n, pre[n]) for n in order], {**meta_common, 'role': 'pre', 'description': 'pretrained theta_pre'}))
    write(os.path.join(out, 'sft.safetensors'), st_bytes([(n, sft[n]) for n in order], {**meta_common, 'role': 'sft', 'description': 'standard SFT theta_sft'}))
    write(os.path.join(out, 'down.safetensors'), st_bytes([(n, down[n]) for n in order],
                                                          {**meta_common, 'role': 'down', 'description': f'downstream finetune from theta_meta (alpha={ALPHA})'}))
    # aux ships sharded like a Hugging Face export: vision + projector, then the LM + action head.
    split = order.index('language_model.model.embed_tokens.weight')
    shards = [order[:split], order[split:]]
    weight_map, total = {}, 0
    for i, names in enumerate(shards):
        fname = f'model-{i + 1:05d}-of-{len(shards):05d}.safetensors'
        write(os.path.join(out, 'aux', fname), st_bytes([(n, aux[n]) for n in names], {**meta_common, 'role': 'aux', 'description': 'auxiliary-objective SFT theta_aux'}))
        for n in names:
            weight_map[n] = fname
            total += aux[n].numel() * 2
    write(os.path.join(out, 'aux', 'model.safetensors.index.json'),
          (json.dumps({'metadata': {'total_size': total}, 'weight_map': weight_map}, indent=2) + '\n').encode())

    params = sum(math.prod(s) for _, s, _ in arch)
    manifest = {
        'name': 'CapVector demo: tiny OpenVLA-shaped family',
        'description': 'theta_pre, theta_aux (sharded), theta_sft and theta_down of a tiny OpenVLA-shaped model, bf16. Made by scripts/make_demo.py.',
        'seed': SEED,
        'parameters': params,
        'tensors': len(arch),
        'checkpoints': [
            {'role': 'pre', 'name': 'pre.safetensors', 'files': ['pre.safetensors']},
            {'role': 'aux', 'name': 'aux', 'files': ['aux/model.safetensors.index.json'] + [f'aux/model-{i + 1:05d}-of-00002.safetensors' for i in range(2)]},
            {'role': 'sft', 'name': 'sft.safetensors', 'files': ['sft.safetensors']},
            {'role': 'down', 'name': 'down.safetensors', 'files': ['down.safetensors']},
        ],
        'truth': {
            'alpha': ALPHA,
            'gamma_profile': {'vision_blocks': VIS_PROFILE, 'projector': 1.0, 'lm_layers': [round(x, 4) for x in LM_PROFILE], 'elsewhere': 0.0},
            'down_aligned_cosine': aligned_report,
            'down_elsewhere_cosine': 0.0,
        },
    }
    write(os.path.join(out, 'manifest.json'), (json.dumps(manifest, indent=2) + '\n').encode())
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
    print(f'wrote {out}: {len(arch)} tensors, {params} parameters per checkpoint, {size / 1e6:.2f} MB in all')


if __name__ == '__main__':
    main()
