#!/usr/bin/python3
"""PyTorch baseline for bench/merge.bench.ts: θ_pre + α·(θ_aux − θ_sft) the way a careful script does it:
safetensors headers parsed by hand, tensors memory-mapped with numpy → torch, float32 math per tensor,
rounded back to bf16, written to one safetensors file. Prints JSON {seconds, peak_rss_bytes}.
usage: torch_merge_baseline.py PRE_DIR AUX_DIR SFT_DIR ALPHA OUT_FILE"""
import json, os, resource, struct, sys, time
import numpy as np
import torch


def open_dir(d):
    idx = json.load(open(os.path.join(d, 'model.safetensors.index.json')))
    order, where = [], {}
    for shard in dict.fromkeys(idx['weight_map'].values()):
        path = os.path.join(d, shard)
        with open(path, 'rb') as f:
            n = struct.unpack('<Q', f.read(8))[0]
            h = json.loads(f.read(n))
        h.pop('__metadata__', None)
        mm = np.memmap(path, dtype=np.uint8, mode='r')
        for name, e in sorted(h.items(), key=lambda kv: kv[1]['data_offsets'][0]):
            a, b = e['data_offsets']
            order.append(name)
            where[name] = (e['dtype'], e['shape'], mm[8 + n + a: 8 + n + b])
    return order, where


def as_f32(entry):
    dtype, shape, raw = entry
    assert dtype == 'BF16'
    t = torch.from_numpy(np.asarray(raw).view(np.int16))
    return t.view(torch.bfloat16).float().reshape(shape)


def main():
    pre_d, aux_d, sft_d, alpha, out = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    t0 = time.perf_counter()
    order, pre = open_dir(pre_d)
    _, aux = open_dir(aux_d)
    _, sft = open_dir(sft_d)
    header, off = {}, 0
    for name in order:
        dtype, shape, raw = pre[name]
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        off += len(raw)
    hb = json.dumps(header).encode()
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    with open(out, 'wb') as f:
        f.write(struct.pack('<Q', len(hb)))
        f.write(hb)
        for name in order:
            r = as_f32(pre[name]) + alpha * (as_f32(aux[name]) - as_f32(sft[name]))
            f.write(r.to(torch.bfloat16).view(torch.int16).numpy().tobytes())
    secs = time.perf_counter() - t0
    print(json.dumps({'seconds': secs, 'peak_rss_bytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == '__main__':
    main()
