/**
 * Getting a GPUDevice for the compute engine: the adapter's largest buffer limits are requested (the
 * defaults, 128 MiB per binding, would force small chunks), and a missing WebGPU is reported in words.
 */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, or the browser's fallback adapter): correct, but not GPU speed. */
  software: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: AdapterDescription;
}

/** Why WebGPU cannot be used here, or null when `navigator.gpu` exists. */
export function webgpuUnavailableReason(): string | null {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (!nav || !('gpu' in nav) || !nav.gpu) {
    if (typeof (globalThis as { process?: unknown }).process !== 'undefined' && !nav) return 'WebGPU is not available in Node; using the CPU engine';
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    if (secure === false) return 'WebGPU needs a secure context (https or localhost); this page is not one';
    return 'this browser does not expose WebGPU (navigator.gpu is missing)';
  }
  return null;
}

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const fallback = !!(info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
    || !!(adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const software = fallback || /swiftshader|llvmpipe|lavapipe|software/i.test(`${vendor} ${architecture} ${device} ${description}`);
  return { vendor, architecture, device, description, software };
}

export async function acquireDevice(gpu?: GPU): Promise<AcquiredDevice> {
  const g = gpu ?? (globalThis as { navigator?: Navigator }).navigator?.gpu;
  if (!g) throw new Error(webgpuUnavailableReason() ?? 'WebGPU is unavailable');
  const adapter = await g.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('WebGPU is present but no adapter was found (GPU blocklisted or disabled?)');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
  return { device, adapter: describeAdapter(adapter) };
}
