/**
 * Stacked layers: checkpoints converted from JAX (openpi's π0/π0.5, big_vision's scanned ViT) keep every
 * layer of a scanned stack in one tensor, the layer on axis 0 — `…llm.layers.attn.q_einsum.w` is
 * [L, H, D, hd], `…/Transformer/encoderblock/MlpBlock_0/Dense_0/kernel` is [L, in, out]. Their names
 * carry the stack's container word with no index after it (an unrolled model writes `layers.3.`).
 * The per-layer views split such a tensor into its L layers: layer l is elements
 * [l·perLayer, (l + 1)·perLayer) of the row-major data, whose shape is shape.slice(1).
 */

// The container word of a scanned stack, followed by a name segment that is not a layer index.
const STACKED_NAME = /(?:^|[./])(?:layers|encoderblock)[./](?!\d+(?:[./]|$))/;

/** Whether a name is a scanned stack's (all layers in one tensor, on axis 0). */
export function isStackedName(name: string): boolean {
  return STACKED_NAME.test(name);
}

/** Where the in-layer part of a stacked name starts (after `layers.`), or −1 for other names. */
export function stackedTailAt(name: string): number {
  const m = STACKED_NAME.exec(name);
  return m ? m.index + m[0].length : -1;
}

export interface StackedLayout {
  /** L: the layers on axis 0. */
  layers: number;
  /** Elements of one layer (the product of shape[1…]). */
  perLayer: number;
  /** One layer's shape. */
  layerShape: number[];
}

/** The layout of a stacked tensor, or null when it is not one (name, or fewer than two axes, or empty). */
export function stackedLayout(name: string, shape: readonly number[]): StackedLayout | null {
  if (shape.length < 2 || !isStackedName(name)) return null;
  const layerShape = shape.slice(1);
  const perLayer = layerShape.reduce((a, b) => a * b, 1);
  if (shape[0] < 1 || perLayer < 1) return null;
  return { layers: shape[0], perLayer, layerShape };
}

/** Element range of layer l (row-major, the layer axis outermost). */
export function layerRange(s: StackedLayout, l: number): { first: number; count: number } {
  return { first: l * s.perLayer, count: s.perLayer };
}

/** The layer that element `i` belongs to. */
export function layerOf(s: StackedLayout, i: number): number {
  return Math.floor(i / s.perLayer);
}
