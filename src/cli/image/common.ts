import * as path from 'node:path';
import { InvalidArgument } from '../../core/index.js';
import { ImageStore, authFilePath, readCredentials, type RegistryAccess } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { defaultRoot } from '../state-root.js';

/**
 * The image store under berth's state root ($BERTH_ROOT, else /var/lib/berth as root, ./.berth
 * otherwise). An image is in use while a container of the engine (same root) was made from it.
 */
export async function openStore(ctx: CommandContext): Promise<ImageStore> {
  return ImageStore.open({
    root: defaultRoot(ctx.env, ctx.cwd).root,
    isImageInUse: async (id) => {
      const { openEngine } = await import('../container/verbs.js');
      const engine = await openEngine(ctx);
      return (await engine.list({ all: true })).some((c) => c.imageId === id);
    },
  });
}

/**
 * Registry access for the CLI: credentials from the auth file `berth login` writes (docker's
 * config.json format), plain HTTP for $BERTH_INSECURE_REGISTRIES (comma-separated) and loopback,
 * base URLs per registry from $BERTH_REGISTRY_ENDPOINTS (mirrors; how Docker Hub names are reached).
 */
export function registryAccess(ctx: CommandContext, authfile?: string): RegistryAccess {
  const file = authFilePath(ctx.env, authfile);
  const insecure = (ctx.env.BERTH_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  // BERTH_REGISTRY_ENDPOINTS="docker.io=https://mirror.internal,example.com=http://10.0.0.5:5000"
  const endpoints: Record<string, string> = {};
  for (const pair of (ctx.env.BERTH_REGISTRY_ENDPOINTS ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) endpoints[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { credentials: (registry) => readCredentials(registry, file, ctx.env), insecureRegistries: insecure, endpoints };
}

export type Transport =
  | { readonly kind: 'registry'; readonly ref: string }
  | { readonly kind: 'oci'; readonly dir: string; readonly tag: string }
  | { readonly kind: 'docker-archive'; readonly file: string; readonly ref?: string };

/** skopeo-style transports: `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]`, `docker://REF`, or a plain reference. */
export function parseTransport(text: string, cwd: string): Transport {
  if (text.startsWith('docker://')) return { kind: 'registry', ref: text.slice('docker://'.length) };
  if (text.startsWith('oci:')) {
    const rest = text.slice(4);
    const colon = rest.indexOf(':');
    const dir = colon < 0 ? rest : rest.slice(0, colon);
    if (dir === '') throw new InvalidArgument(`Missing directory in ${JSON.stringify(text)}`, { reference: text });
    return { kind: 'oci', dir: path.resolve(cwd, dir), tag: colon < 0 ? 'latest' : rest.slice(colon + 1) || 'latest' };
  }
  if (text.startsWith('docker-archive:')) {
    const rest = text.slice('docker-archive:'.length);
    const colon = rest.indexOf(':');
    const file = colon < 0 ? rest : rest.slice(0, colon);
    return { kind: 'docker-archive', file: path.resolve(cwd, file), ...(colon >= 0 ? { ref: rest.slice(colon + 1) } : {}) };
  }
  return { kind: 'registry', ref: text };
}

export function write(ctx: CommandContext, text: string): void {
  ctx.stdout.write(text);
}
