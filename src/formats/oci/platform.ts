import { NoMatchingPlatform } from './errors.js';
import type { Descriptor, Platform } from './manifest.js';

/** Go's GOARCH names for Node's process.arch values. */
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x64: 'amd64', x86_64: 'amd64', ia32: '386', aarch64: 'arm64', armhf: 'arm', armel: 'arm', ppc64: 'ppc64le',
};

export function normalizeArch(arch: string): string {
  return ARCH_ALIASES[arch] ?? arch;
}

/** "linux/amd64", "linux/arm/v7". */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new RangeError(`Bad platform ${JSON.stringify(text)}`);
  return { os, architecture: normalizeArch(architecture), ...(variant ? { variant } : {}) };
}

/**
 * Picks the manifest for a platform from an index, as containerd's platform matcher does for a
 * single wanted platform: os and architecture equal, variant equal when the wanted one names it
 * (arm64 treats a missing variant as v8). Attestation manifests (platform unknown/unknown) never match.
 */
export function selectPlatformManifest(manifests: readonly Descriptor[], wanted: Platform): Descriptor {
  const want = { ...wanted, architecture: normalizeArch(wanted.architecture) };
  const candidates = manifests.filter((d) => {
    const p = d.platform;
    if (p === undefined) return false;
    if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return false;
    if (p.os !== want.os || normalizeArch(p.architecture) !== want.architecture) return false;
    if (want.variant === undefined) return true;
    const variant = p.variant ?? (want.architecture === 'arm64' ? 'v8' : undefined);
    return variant === want.variant;
  });
  // Prefer an exact variant match, then the first listed (the index order is the publisher's preference).
  const best = candidates.find((d) => (d.platform?.variant ?? undefined) === want.variant) ?? candidates[0];
  if (best === undefined) {
    const available = manifests.filter((d) => d.platform !== undefined).map((d) => formatPlatform(d.platform!));
    throw new NoMatchingPlatform(
      `No manifest for platform ${JSON.stringify(formatPlatform(want))} in the image index (has ${available.map((a) => JSON.stringify(a)).join(', ') || 'none'})`,
      { wanted: formatPlatform(want), available },
    );
  }
  return best;
}
