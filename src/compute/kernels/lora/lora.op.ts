/** lora: a combine plus low-rank products B·A (a LoRA adapter's ΔW) formed per element range, rounded once. */
import { defineOp } from '../../op';
import { ELEMENT_BYTES, checkTerms, elementCount } from '../common/inputs';
import { loraCpu } from './lora.cpu';
import { loraGpu } from './lora.gpu';
import { checkLoraSpec, type LoraSpec } from './lora.ref';

export const loraOp = defineOp({
  check(inputs, spec: LoraSpec) {
    const n = elementCount('lora', inputs.slice(0, Math.max(1, spec.dense)));
    const sizes = inputs.map((x, k) => {
      const size = ELEMENT_BYTES[x.dtype];
      if (size === undefined) throw new Error(`lora: input ${k} has dtype ${x.dtype}; engines compute F32, F16 and BF16 only`);
      return x.bytes.byteLength / size;
    });
    checkLoraSpec(spec, sizes, n);
    checkTerms('lora', spec.terms, spec.base, spec.dense);
    return n;
  },
  cpu: loraCpu,
  gpu: { run: loraGpu },
});
