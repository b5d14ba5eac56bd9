/**
 * Downloads made in the page, for every panel: a Blob behind a hidden <a download>. Nothing leaves the
 * machine; a merge's Blob is the OPFS file itself (no copy into memory).
 */

/** Several files one after another: browsers drop clicks that come too close together. */
export async function downloadFiles(files: { name: string; file?: Blob }[]): Promise<void> {
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    if (!f.file) continue;
    if (i > 0) await new Promise((r) => setTimeout(r, 400));
    saveBlob(f.file, f.name);
  }
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has taken its own reference by now; a minute is generous for slow disks.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
