/**
 * OpenVLA-OFT's component files: beside the model, its finetune script saves each extra module with
 * torch.save as `<component>--<step>_checkpoint.pt` (`action_head--150000_checkpoint.pt`,
 * `proprio_projector--latest_checkpoint.pt`, `noisy_action_projector--…`, FiLM's `vision_backbone--…`),
 * names prefixed with DDP's `module.` when saved from the wrapped module. They open as ordinary torch
 * checkpoints; this names them after the component and step, and records both in the metadata (the
 * analysis files their tensors under the component: see oftKeyPrefix). Recognised by the file name, or
 * by the archive folder torch.save wrote inside (the name it was saved under) when the file was renamed.
 */
import { baseName } from './byte-source';

export interface OftComponentFile {
  /** The module: action_head, proprio_projector, … */
  component: string;
  /** The training step, or what stands in its place (`latest`). */
  step: string;
}

const OFT_FILE = /^([A-Za-z][A-Za-z0-9_]*)--(.+?)(?:_checkpoint)?\.(?:pt|pth)$/;

/** The component and step a file name (or a torch archive folder + '.pt') says, or null. */
export function oftComponentFile(file: string): OftComponentFile | null {
  const m = OFT_FILE.exec(baseName(file.replace(/\\/g, '/')));
  return m ? { component: m[1], step: m[2] } : null;
}

/** 'action_head (step 150000)', 'action_head (latest)'. */
export function oftDisplayName(c: OftComponentFile): string {
  return `${c.component} (${/^\d+$/.test(c.step) ? `step ${c.step}` : c.step})`;
}

/** Metadata entries of a component file (shown on its card, read back by oftOf). */
export function oftMetadata(c: OftComponentFile): Record<string, string> {
  return { oft_component: c.component, oft_step: c.step };
}

/** The component of an opened checkpoint's metadata, or null for any other checkpoint. */
export function oftOf(metadata: Readonly<Record<string, string>> | undefined): string | null {
  return metadata?.oft_component ?? null;
}
