/**
 * Display names of checkpoints. Releases put the weights in files with generic names
 * (`model.safetensors`, `pytorch_model.bin`, `adapter_model.safetensors`, `model.json`, an index, a
 * shard set) and tell them apart by their folders, so a checkpoint read from a generic file is named
 * after its folder; and two checkpoints never share a display name: colliding names take the parent
 * folders that tell them apart ('run1/ckpt', 'run2/ckpt'), else a suffix ('ckpt (2)').
 */
import { baseName, dirName } from './byte-source';

const GENERIC_STEMS = 'model|pytorch_model|adapter_model|tf_model|flax_model|diffusion_pytorch_model|consolidated|checkpoint|weights|params|state_dict|last|best|final';
const GENERIC = new RegExp(
  `^(${GENERIC_STEMS})(-\\d+-of-\\d+|\\.\\d+)?(\\.(safetensors|bin|pt|pth|ckpt|npz|npy|json|h5|msgpack))(\\.index\\.json)?$`,
  'i',
);

/** Whether a file name says nothing about which model it holds (any index file counts). */
export function isGenericFileName(file: string): boolean {
  const b = baseName(file);
  return GENERIC.test(b) || /\.index\.json$/i.test(b);
}

/**
 * The name to show for a checkpoint first read from `file` whose reader named it `name`: its folder
 * when the file name is generic and the file lies in a folder, else `name` unchanged.
 */
export function displayNameFor(name: string, file: string): string {
  const dir = dirName(file.replace(/\\/g, '/'));
  return isGenericFileName(file) && dir ? baseName(dir) : name;
}

/** Folders above the one a name was taken from, nearest last ('a/b/ckpt/model.bin' named 'ckpt' → ['a', 'b']). */
function contextOf(name: string, where: string): string[] {
  const segs = dirName(where.replace(/\\/g, '/')).split('/').filter((s) => s && s !== '.' && s !== '..');
  if (segs.length && segs[segs.length - 1] === name) segs.pop();
  return segs;
}

const withContext = (name: string, ctx: string[], k: number) => (k === 0 ? name : `${ctx.slice(ctx.length - Math.min(k, ctx.length)).join('/')}/${name}`);

/**
 * Distinct display names for checkpoints shown together, in input order: `where` is a path of the
 * checkpoint's first file (with as many folders as are known). Unique names stay as they are.
 */
export function distinctNames(items: readonly { name: string; where: string }[]): string[] {
  const out = items.map((i) => i.name);
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => groups.set(it.name, [...(groups.get(it.name) ?? []), i]));
  for (const [name, idx] of groups) {
    if (idx.length < 2) continue;
    const ctx = idx.map((i) => contextOf(name, items[i].where));
    const deepest = Math.max(...ctx.map((c) => c.length));
    let picked: string[] | null = null;
    for (let k = 1; k <= deepest && !picked; k++) {
      const cand = ctx.map((c) => withContext(name, c, k));
      if (new Set(cand).size === cand.length) picked = cand;
    }
    idx.forEach((i, j) => (out[i] = picked ? picked[j] : j === 0 ? name : `${name} (${j + 1})`));
  }
  // A prefixed or suffixed name may now equal another item's plain name: settle those by suffix.
  const seen = new Set<string>();
  return out.map((n) => {
    let m = n;
    for (let s = 2; seen.has(m); s++) m = `${n} (${s})`;
    seen.add(m);
    return m;
  });
}

/** A name for a new checkpoint that none of `taken` has: parent folders first, then a suffix. */
export function uniqueName(name: string, where: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const ctx = contextOf(name, where);
  for (let k = 1; k <= ctx.length; k++) {
    const c = withContext(name, ctx, k);
    if (!taken.has(c)) return c;
  }
  for (let s = 2; ; s++) if (!taken.has(`${name} (${s})`)) return `${name} (${s})`;
}
