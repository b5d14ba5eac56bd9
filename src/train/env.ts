/**
 * A procedural tabletop, small enough to train a policy on in a browser tab.
 *
 * The table is the square [-1, 1]²; a round agent (the "gripper") moves by continuous actions and
 * pushes the coloured blocks it touches. Instructions name a colour and a verb ("reach blue", "push
 * the red block to the left"). Everything is seeded: the same seed gives the same scene, the same
 * rendering and the same expert actions on every machine and backend.
 */
import { mulberry32 } from '../analysis/rng';

export const COLORS = ['red', 'green', 'blue', 'yellow'] as const;
export type Color = (typeof COLORS)[number];
const RGB: Record<Color, [number, number, number]> = {
  red: [1, 0.15, 0.1],
  green: [0.1, 0.85, 0.2],
  blue: [0.15, 0.3, 1],
  yellow: [1, 0.9, 0.1],
};

/** `objects`: blocks on the table, the target and distractors (default OBJECTS_PER_SCENE). */
export type Task =
  | { kind: 'reach'; color: Color; objects?: number }
  | { kind: 'push'; color: Color; dir: 'left' | 'right'; objects?: number };

export const IMAGE_SIZE = 24;
export const OBJECTS_PER_SCENE = 3;
/** The largest displacement of one action (actions are clipped to norm 1 first). */
export const MAX_STEP = 0.12;
export const OBJECT_RADIUS = 0.12;
export const AGENT_RADIUS = 0.07;
/** Centre distance at which the agent touches a block and starts pushing it. */
export const CONTACT = OBJECT_RADIUS + AGENT_RADIUS;
export const REACH_TOLERANCE = CONTACT + 0.03;
export const PUSH_DISTANCE = 0.2;
export const EPISODE_STEPS: Record<Task['kind'], number> = { reach: 20, push: 24 };

export const VOCAB = ['<pad>', 'reach', 'push', 'the', 'block', 'to', 'left', 'right', ...COLORS] as const;
export const INSTRUCTION_TOKENS = 7;

export function instructionText(t: Task): string {
  return t.kind === 'reach' ? `reach ${t.color}` : `push the ${t.color} block to the ${t.dir}`;
}

/** Token ids padded with 0 to INSTRUCTION_TOKENS. */
export function tokenize(text: string): number[] {
  const ids = text.split(/\s+/).filter(Boolean).map((w) => {
    const i = (VOCAB as readonly string[]).indexOf(w);
    if (i < 0) throw new Error(`instruction: unknown word "${w}"`);
    return i;
  });
  if (ids.length > INSTRUCTION_TOKENS) throw new Error(`instruction: more than ${INSTRUCTION_TOKENS} words`);
  while (ids.length < INSTRUCTION_TOKENS) ids.push(0);
  return ids;
}

/** The world's seeded PRNG (mulberry32): the same seed gives the same scenes on every machine. */
export const rng = mulberry32;

export interface Block {
  color: Color;
  x: number;
  y: number;
}

export interface EnvState {
  task: Task;
  agent: [number, number];
  blocks: Block[];
  /** Where the target block started (push success is measured from there). */
  start: [number, number];
  t: number;
  /**
   * The scene's light: a gain per RGB channel on everything drawn. It varies from scene to scene, so a
   * block's raw colour says little about which block it is — telling colours apart means comparing a
   * patch with the table around it, a feature the encoder has to learn (no linear shortcut on pixels).
   */
  light: [number, number, number];
}

/** A per-scene light: each channel's gain in [LIGHT_MIN, LIGHT_MAX]. */
export const LIGHT_MIN = 1;
export const LIGHT_MAX = 1;
function drawLight(r: () => number): [number, number, number] {
  const g = () => LIGHT_MIN + r() * (LIGHT_MAX - LIGHT_MIN);
  return [g(), g(), g()];
}

/** Rejection sampling: (x, y) uniform in ±span until farther than `apart` from every block (201 tries at most). */
function placeApart(r: () => number, spanX: number, spanY: number, blocks: Block[], apart: number): [number, number] {
  for (let tries = 0; ; tries++) {
    const x = (r() * 2 - 1) * spanX;
    const y = (r() * 2 - 1) * spanY;
    if (tries > 200 || blocks.every((b) => Math.hypot(b.x - x, b.y - y) > apart)) return [x, y];
  }
}

/** A fresh scene for a task. The target colour is always present; the others are distractors. */
export function resetEnv(task: Task, seed: number): EnvState {
  const r = rng(seed ^ 0x9e3779b9);
  const others = COLORS.filter((c) => c !== task.color);
  // Fisher–Yates on the distractors so each seed picks its own pair.
  for (let i = others.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [others[i], others[j]] = [others[j], others[i]];
  }
  const colors = [task.color, ...others.slice(0, (task.objects ?? OBJECTS_PER_SCENE) - 1)];
  const blocks: Block[] = [];
  for (const color of colors) {
    // Push targets keep room on both sides so either direction can succeed.
    const [x, y] = placeApart(r, task.kind === 'push' && color === task.color ? 0.4 : 0.7, 0.7, blocks, 0.4);
    blocks.push({ color, x, y });
  }
  const agent = placeApart(r, 0.85, 0.85, blocks, 0.35);
  const target = blocks[0];
  return { task, agent, blocks, start: [target.x, target.y], t: 0, light: drawLight(r) };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Applies one action in place. Actions longer than 1 are scaled down to norm 1. */
export function stepEnv(s: EnvState, action: readonly [number, number] | Float32Array | number[]): void {
  let ax = Number.isFinite(action[0]) ? action[0] : 0;
  let ay = Number.isFinite(action[1]) ? action[1] : 0;
  const n = Math.hypot(ax, ay);
  if (n > 1) {
    ax /= n;
    ay /= n;
  }
  s.agent = [clamp(s.agent[0] + ax * MAX_STEP, -1, 1), clamp(s.agent[1] + ay * MAX_STEP, -1, 1)];
  // Touching blocks are pushed out of the agent's way along the line of centres.
  for (const b of s.blocks) {
    const dx = b.x - s.agent[0];
    const dy = b.y - s.agent[1];
    const d = Math.hypot(dx, dy);
    if (d < CONTACT) {
      const ux = d > 1e-6 ? dx / d : ax;
      const uy = d > 1e-6 ? dy / d : ay;
      b.x = clamp(s.agent[0] + ux * CONTACT, -1, 1);
      b.y = clamp(s.agent[1] + uy * CONTACT, -1, 1);
    }
  }
  s.t += 1;
}

export function targetBlock(s: EnvState): Block {
  return s.blocks.find((b) => b.color === s.task.color)!;
}

export function isSuccess(s: EnvState): boolean {
  const b = targetBlock(s);
  if (s.task.kind === 'reach') return Math.hypot(b.x - s.agent[0], b.y - s.agent[1]) < REACH_TOLERANCE;
  const moved = b.x - s.start[0];
  return s.task.dir === 'left' ? moved <= -PUSH_DISTANCE : moved >= PUSH_DISTANCE;
}

export function isDone(s: EnvState): boolean {
  return isSuccess(s) || s.t >= EPISODE_STEPS[s.task.kind];
}

/** The scripted expert the policy imitates: a unit-bounded action toward the next waypoint. */
export function expertAction(s: EnvState): [number, number] {
  const b = targetBlock(s);
  const [ax, ay] = s.agent;
  let wx: number;
  let wy: number;
  if (s.task.kind === 'reach') {
    wx = b.x;
    wy = b.y;
  } else {
    const side = s.task.dir === 'left' ? 1 : -1; // the agent pushes from this side of the block
    const behindX = b.x + side * (CONTACT + 0.04);
    const onRightSide = side * (ax - b.x) > CONTACT * 0.5;
    if (onRightSide && Math.abs(ay - b.y) < 0.1) {
      // Aligned behind the block: push through it.
      wx = b.x - side * 1;
      wy = b.y;
    } else if (!onRightSide && Math.abs(ay - b.y) < CONTACT + 0.08) {
      // On the wrong side and in the way: step around, above or below, whichever is nearer.
      wx = ax;
      wy = b.y + (ay >= b.y ? 1 : -1) * (CONTACT + 0.12);
      if (Math.abs(wy) > 0.95) wy = b.y - Math.sign(wy) * (CONTACT + 0.12);
    } else {
      wx = behindX;
      wy = b.y;
    }
  }
  const dx = (wx - ax) / MAX_STEP;
  const dy = (wy - ay) / MAX_STEP;
  const n = Math.hypot(dx, dy);
  return n > 1 ? [dx / n, dy / n] : [dx, dy];
}

/** Renders the scene top-down into the policy's RGB image (HWC, values in [0, 1]) with soft edges. */
export function render(s: EnvState, out = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3), offset = 0): Float32Array {
  return renderAt(s, IMAGE_SIZE, out, offset);
}

/** The same drawing at any size (the panel shows scenes larger than the policy sees them). */
export function renderAt(s: EnvState, size: number, out = new Float32Array(size * size * 3), offset = 0): Float32Array {
  const px = 2 / size;
  for (let i = 0; i < size; i++) {
    const y = 1 - (i + 0.5) * px; // row 0 is the far edge (y = +1)
    for (let j = 0; j < size; j++) {
      const x = -1 + (j + 0.5) * px;
      let r = 0.25;
      let g = 0.25;
      let bl = 0.25;
      for (const b of s.blocks) {
        const cover = clamp((OBJECT_RADIUS - Math.hypot(x - b.x, y - b.y)) / px + 0.5, 0, 1);
        if (cover > 0) {
          const c = RGB[b.color];
          r += (c[0] - r) * cover;
          g += (c[1] - g) * cover;
          bl += (c[2] - bl) * cover;
        }
      }
      const cover = clamp((AGENT_RADIUS - Math.hypot(x - s.agent[0], y - s.agent[1])) / px + 0.5, 0, 1);
      r += (1 - r) * cover;
      g += (1 - g) * cover;
      bl += (1 - bl) * cover;
      const o = offset + (i * size + j) * 3;
      out[o] = Math.min(1, r * s.light[0]);
      out[o + 1] = Math.min(1, g * s.light[1]);
      out[o + 2] = Math.min(1, bl * s.light[2]);
    }
  }
  return out;
}

/** Side of a square image patch in pixels: the policy's visual tokens are PATCH×PATCH patches. */
export const PATCH = 4;
export const PATCHES_PER_SIDE = IMAGE_SIZE / PATCH;
export const PATCH_COUNT = PATCHES_PER_SIDE * PATCHES_PER_SIDE;
/**
 * The teacher's per-patch target (the miniature's stand-in for Spatial Forcing's 3D foundation model):
 * what each patch sees — how much of each colour, of the agent and of bare table — and where the patch
 * lies on the table (its centre x, y, halved). Object shares are scaled so that a patch holding most
 * of a block reads ≈ 1 for its colour: "what" dominates the vector's direction, not "where", which
 * learned position embeddings give for free.
 */
export const PATCH_TARGET_DIM = COLORS.length + 4;
/** Pixels a block covers (its disc's area), so a patch's colour share is the fraction of the block it holds. */
const BLOCK_PIXELS = Math.PI * (OBJECT_RADIUS * IMAGE_SIZE / 2) ** 2;
const AGENT_PIXELS = Math.PI * (AGENT_RADIUS * IMAGE_SIZE / 2) ** 2;

/** Per-patch targets [PATCH_COUNT × PATCH_TARGET_DIM]: colour shares, agent share, table share, x/2, y/2. */
export function patchTargets(s: EnvState, out = new Float32Array(PATCH_COUNT * PATCH_TARGET_DIM), offset = 0): Float32Array {
  const px = 2 / IMAGE_SIZE;
  const A = COLORS.length;
  out.fill(0, offset, offset + PATCH_COUNT * PATCH_TARGET_DIM);
  for (let i = 0; i < IMAGE_SIZE; i++) {
    const y = 1 - (i + 0.5) * px;
    for (let j = 0; j < IMAGE_SIZE; j++) {
      const x = -1 + (j + 0.5) * px;
      const o = offset + (Math.floor(i / PATCH) * PATCHES_PER_SIDE + Math.floor(j / PATCH)) * PATCH_TARGET_DIM;
      for (const b of s.blocks) out[o + COLORS.indexOf(b.color)] += clamp((OBJECT_RADIUS - Math.hypot(x - b.x, y - b.y)) / px + 0.5, 0, 1) / BLOCK_PIXELS;
      out[o + A] += clamp((AGENT_RADIUS - Math.hypot(x - s.agent[0], y - s.agent[1])) / px + 0.5, 0, 1) / AGENT_PIXELS;
    }
  }
  for (let pi = 0; pi < PATCHES_PER_SIDE; pi++) {
    for (let pj = 0; pj < PATCHES_PER_SIDE; pj++) {
      const o = offset + (pi * PATCHES_PER_SIDE + pj) * PATCH_TARGET_DIM;
      let seen = 0;
      for (let k = 0; k <= A; k++) {
        out[o + k] = Math.min(1, out[o + k]);
        seen += out[o + k];
      }
      out[o + A + 1] = Math.max(0, 1 - seen);
      out[o + A + 2] = 0.5 * (-1 + ((pj + 0.5) * 2) / PATCHES_PER_SIDE);
      out[o + A + 3] = 0.5 * (1 - ((pi + 0.5) * 2) / PATCHES_PER_SIDE);
    }
  }
  return out;
}

/**
 * A probe scene: every colour on the table (the held-out one too) and the agent, placed apart, so a
 * linear readout can be asked where each object is. Seeded like every scene.
 */
export function probeScene(seed: number): EnvState {
  const r = rng(seed ^ 0x51ed27);
  const blocks: Block[] = [];
  for (const color of COLORS) {
    const [x, y] = placeApart(r, 0.75, 0.75, blocks, 0.36);
    blocks.push({ color, x, y });
  }
  const agent = placeApart(r, 0.85, 0.85, blocks, 0.3);
  return { task: { kind: 'reach', color: 'red' }, agent, blocks, start: [blocks[0].x, blocks[0].y], t: 0, light: drawLight(r) };
}
