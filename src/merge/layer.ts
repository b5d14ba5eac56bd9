/**
 * Where a tensor sits in depth, for per-layer gradient parameters. A VLA holds several stacks
 * (vision `blocks.N`, language `layers.N`), so the position is taken inside the tensor's own stack:
 * t = index / (count − 1) where count is the number of layers that stack has in the checkpoint.
 * For a plain LM (one stack) this is mergekit's layer/(num_layers − 1).
 */

const LAYER_RE = /(^|\.)(layers|blocks|h|layer)\.(\d+)(\.|$)/;

export interface LayerKey {
  /** The name up to and including the stack word, e.g. `language_model.model.layers`. */
  stack: string;
  index: number;
}

/** The stack and index of a tensor name, or null for tensors outside any layer (embeddings, heads). */
export function layerOf(name: string): LayerKey | null {
  const m = LAYER_RE.exec(name);
  if (!m) return null;
  const stack = name.slice(0, m.index + m[1].length + m[2].length);
  return { stack, index: Number(m[3]) };
}

/** Tensors mergekit treats as "post" weights (t = 1): output head and final norm. */
const POST_RE = /(^|\.)(lm_head|embed_out|output)\.|(^|\.)(norm|ln_f|final_layer_norm|final_norm|model\.norm)\.(weight|bias)$/;

export class LayerIndex {
  private counts = new Map<string, number>();

  constructor(names: Iterable<string>) {
    for (const n of names) {
      const k = layerOf(n);
      if (k) this.counts.set(k.stack, Math.max(this.counts.get(k.stack) ?? 0, k.index + 1));
    }
  }

  /** Largest stack's layer count (what a mergekit config would call num_hidden_layers). */
  get layerCount(): number {
    let n = 0;
    for (const c of this.counts.values()) n = Math.max(n, c);
    return n;
  }

  /** Relative depth t ∈ [0, 1] for gradient interpolation. */
  position(name: string): number {
    const k = layerOf(name);
    if (!k) return POST_RE.test(name) && !/(^|\.)(embed|wte|wpe)/.test(name) ? 1 : 0;
    const count = this.counts.get(k.stack) ?? 1;
    return count <= 1 ? 0 : k.index / (count - 1);
  }
}

/** Linear interpolation of a gradient list at t ∈ [0, 1] (mergekit's `np.interp` over evenly spaced anchors). */
export function interpolateGradient(values: number[], t: number): number {
  if (values.length === 0) throw new Error('empty gradient list');
  if (values.length === 1) return values[0];
  const x = Math.min(1, Math.max(0, t)) * (values.length - 1);
  const i = Math.min(Math.floor(x), values.length - 2);
  const f = x - i;
  return values[i] * (1 - f) + values[i + 1] * f;
}
