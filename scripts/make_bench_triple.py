#!/usr/bin/python3
"""Makes the merge benchmark's bf16 triple once: bench/data/{pre,aux,sft}/ (~580 MB each, LLaMA-like
names, 2 shards + model.safetensors.index.json). Reused when present (delete bench/data to rebuild).
Values: pre has random bf16 bits with exponents of typical weights; aux and sft flip low mantissa bits
of pre, so γ = aux − sft is small and dense like a real finetune's difference."""
import json, os, struct, sys
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench', 'data')
HIDDEN, INTER, VOCAB, LAYERS = 2048, 5632, 8000, 5


def tensors():
    t = [('model.embed_tokens.weight', (VOCAB, HIDDEN))]
    for i in range(LAYERS):
        p = f'model.layers.{i}.'
        for n in ('q_proj', 'k_proj', 'v_proj', 'o_proj'):
            t.append((p + f'self_attn.{n}.weight', (HIDDEN, HIDDEN)))
        t += [(p + 'mlp.gate_proj.weight', (INTER, HIDDEN)), (p + 'mlp.up_proj.weight', (INTER, HIDDEN)),
              (p + 'mlp.down_proj.weight', (HIDDEN, INTER)),
              (p + 'input_layernorm.weight', (HIDDEN,)), (p + 'post_attention_layernorm.weight', (HIDDEN,))]
    t += [('model.norm.weight', (HIDDEN,)), ('lm_head.weight', (VOCAB, HIDDEN))]
    return t


def header(part):
    h, off = {'__metadata__': {'format': 'pt'}}, 0
    for name, shape in part:
        n = int(np.prod(shape)) * 2
        h[name] = {'dtype': 'BF16', 'shape': list(shape), 'data_offsets': [off, off + n]}
        off += n
    b = json.dumps(h, separators=(',', ':')).encode()
    b += b' ' * ((8 - len(b) % 8) % 8)
    return struct.pack('<Q', len(b)) + b


def main():
    roles = ('pre', 'aux', 'sft')
    if all(os.path.exists(os.path.join(ROOT, r, 'model.safetensors.index.json')) for r in roles):
        print('bench triple present:', ROOT)
        return
    ts = tensors()
    half = len(ts) // 2
    parts = [ts[:half], ts[half:]]
    rng = np.random.default_rng(7)
    files = {r: [] for r in roles}
    for r in roles:
        os.makedirs(os.path.join(ROOT, r), exist_ok=True)
        for k, part in enumerate(parts):
            path = os.path.join(ROOT, r, f'model-{k + 1:05d}-of-00002.safetensors.tmp')
            f = open(path, 'wb')
            f.write(header(part))
            files[r].append((f, path))
    for k, part in enumerate(parts):
        for name, shape in part:
            n = int(np.prod(shape))
            if 'norm' in name:
                pre = np.full(n, 0x3f80, np.uint16) ^ rng.integers(0, 64, n, dtype=np.uint16)
            else:
                sign = rng.integers(0, 2, n, dtype=np.uint16) << 15
                exp = rng.integers(0x76, 0x7b, n, dtype=np.uint16) << 7
                pre = sign | exp | rng.integers(0, 128, n, dtype=np.uint16)
            aux = pre ^ rng.integers(0, 4, n, dtype=np.uint16)
            sft = pre ^ rng.integers(0, 4, n, dtype=np.uint16)
            for r, arr in (('pre', pre), ('aux', aux), ('sft', sft)):
                files[r][k][0].write(arr.astype('<u2').tobytes())
    for r in roles:
        wm, total = {}, 0
        for k, part in enumerate(parts):
            f, path = files[r][k]
            f.close()
            os.replace(path, path[:-4])
            for name, shape in part:
                wm[name] = f'model-{k + 1:05d}-of-00002.safetensors'
                total += int(np.prod(shape)) * 2
        with open(os.path.join(ROOT, r, 'model.safetensors.index.json'), 'w') as f:
            json.dump({'metadata': {'total_size': total}, 'weight_map': wm}, f, indent=1)
    print('wrote bench triple:', ROOT, f'{total / 1e6:.0f} MB of tensors per checkpoint')


if __name__ == '__main__':
    sys.exit(main())
