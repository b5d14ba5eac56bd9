/**
 * The switch for every WebAssembly kernel of the CPU engine (combine, TIES, DARE, lora, statistics, SHA-256): on
 * unless CAPVECTOR_NO_WASM is set (Node); tests and benches turn it off to compare with the JavaScript
 * loops, which stay as the fallback wherever WebAssembly (SIMD) is missing.
 */
let enabled = !(typeof process !== 'undefined' && process.env?.CAPVECTOR_NO_WASM);

export function setWasmEnabled(on: boolean): void {
  enabled = on;
}
export function wasmEnabled(): boolean {
  return enabled;
}

/** Instantiates a module from its base64 bytes (a few KB: synchronous is fine, Workers or not); null where it cannot run. */
export function instantiate(base64: string): WebAssembly.Instance | null {
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  } catch {
    return null;
  }
}

/**
 * A kernel's getter: the module is instantiated on first use and kept, `bind` picks its exports (and
 * prepares its memory). The getter gives null while the switch is off or where WebAssembly cannot run
 * the module; the caller then runs its JavaScript loops.
 */
export function wasmKernel<K>(base64: string, bind: (inst: WebAssembly.Instance) => K): () => K | null {
  let kernel: K | null | undefined;
  return () => {
    if (!enabled) return null;
    if (kernel === undefined) {
      const inst = instantiate(base64);
      kernel = inst ? bind(inst) : null;
    }
    return kernel;
  };
}
