#!/bin/bash
# The merge bench on a lent device machine (no npm there): the CLI's esbuild bundle (carried:
# node_modules/.cache/capvector-cli, made by any `node bin/capvector.mjs` run here), the same 1.74 GB
# bf16 triple made there by scripts/make_bench_triple.py, the I/O floor, the CLI with and without
# hashing and the PyTorch baseline, each 3 times. Writes $OUT/device-merge.txt. The device has no
# Node: carry this machine's binary gzipped as .devnode/node.gz (gzip -c /usr/bin/node > .devnode/node.gz).
set -u
if ! command -v node >/dev/null && [ -f .devnode/node.gz ]; then
  mkdir -p /tmp/nodebin && python3 -c "import gzip, shutil; shutil.copyfileobj(gzip.open('.devnode/node.gz'), open('/tmp/nodebin/node', 'wb'))" && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"; exec > >(tee "$OUT/device-merge.txt") 2>&1
CLI=bench/device/cli.mjs
D=bench/data
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(free -g | awk '/Mem/{print $2}') GiB; node $(node --version)"
python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)" || exit 1
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms); python3 scripts/make_bench_triple.py >/dev/null || exit 1; echo "triple made in $(( $(ms) - t0 )) ms"
cat > /tmp/floor.mjs <<'JS'
import { open } from 'node:fs/promises'; import { readdirSync, statSync } from 'node:fs'; import { join } from 'node:path';
const D = 'bench/data'; const files = ['pre', 'aux', 'sft'].flatMap((r) => readdirSync(join(D, r)).map((f) => join(D, r, f)));
const outBytes = readdirSync(join(D, 'pre')).reduce((s, f) => s + statSync(join(D, 'pre', f)).size, 0);
const t0 = performance.now(); const CH = 32 << 20; const buf = new Uint8Array(CH); const w = await open('/tmp/floor.bin', 'w'); let written = 0;
for (const f of files) { const h = await open(f, 'r'); for (;;) { const { bytesRead } = await h.read(buf, 0, CH, null); if (!bytesRead) break;
  if (written < outBytes) { const n = Math.min(bytesRead, outBytes - written); await w.write(buf, 0, n); written += n; } } await h.close(); }
await w.close(); console.log(((performance.now() - t0) / 1000).toFixed(3));
JS
# seconds a command took (its output kept in /tmp/last.log)
t() { local s; s=$(ms); "$@" >/tmp/last.log 2>&1 || { cat /tmp/last.log; return 1; }; local e; e=$(ms); echo "$(( (e - s) / 1000 )).$(printf %03d $(( (e - s) % 1000 )))"; }
ARGS="merge --pre $D/pre --aux $D/aux --sft $D/sft --alpha 0.8 --shard-size 300MB"
for i in 1 2 3; do echo "floor $(node /tmp/floor.mjs)"; rm -f /tmp/floor.bin; done
for i in 1 2 3; do rm -rf /tmp/m; echo "cli-nohash $(t node $CLI $ARGS --no-hash --out /tmp/m)"; done; tail -1 /tmp/last.log
for i in 1 2 3; do rm -rf /tmp/m; echo "cli-hash $(t node $CLI $ARGS --out /tmp/m)"; done; tail -1 /tmp/last.log
rm -rf /tmp/m; echo "cli-threads0 $(t node $CLI $ARGS --no-hash --threads 0 --out /tmp/m)"
for i in 1 2 3; do echo "torch $(t python3 bench/torch_merge_baseline.py $D/pre $D/aux $D/sft 0.8 /tmp/torch.safetensors)"; done
rm -rf /tmp/m; node $CLI $ARGS --no-hash --out /tmp/m >/dev/null && python3 - <<'PY'
import json, struct, numpy as np
def load(path):
    out = {}
    import glob, os
    files = sorted(glob.glob(os.path.join(path, '*.safetensors'))) if os.path.isdir(path) else [path]
    for f in files:
        b = open(f, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n])
        for k, v in h.items():
            if k != '__metadata__': s, e = v['data_offsets']; out[k] = np.frombuffer(b[8 + n + s:8 + n + e], np.uint16)
    return out
a, b = load('/tmp/m'), load('/tmp/torch.safetensors')
same = sum(int((a[k] == b[k]).sum()) for k in a); tot = sum(a[k].size for k in a)
print(f'outputs: {same}/{tot} bf16 elements bit-identical to PyTorch ({100 * same / tot:.4f}%)')
PY
