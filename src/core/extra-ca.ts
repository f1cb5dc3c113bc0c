import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Loads a builtin only when it is used (node:tls alone costs 6–30 ms at start here). */
export const requireBuiltin: <T>(id: `node:${string}`) => T = (() => {
  const req = createRequire(import.meta.url);
  return <T>(id: `node:${string}`): T => req(id) as T;
})();

/**
 * Extra trusted CA certificates without paying for them at every start.
 *
 * Node 20 parses the NODE_EXTRA_CA_CERTS bundle while it starts (0.1 s on a quiet machine here, 0.25 s under
 * load), although most berth commands never speak TLS. bin/berth and bin/berthd therefore move the variable
 * aside as BERTH_EXTRA_CA_CERTS before they exec node, and berth's TLS clients add those certificates to Node's
 * bundled roots when they first connect: {@link extraCaCertificates} for `node:https` agents (an explicit `ca`
 * replaces Node's default set, so the list includes the bundled roots), {@link trustExtraCasInFetch} for the
 * global `fetch`. Unset (or when Node already loaded NODE_EXTRA_CA_CERTS itself), nothing changes.
 */
export const EXTRA_CA_ENV = 'BERTH_EXTRA_CA_CERTS';

let cached: { readonly file: string; readonly certs: readonly string[] | undefined } | undefined;

/** Node's bundled roots plus the moved-aside bundle, or undefined when Node's default set is already right. */
export function extraCaCertificates(env: NodeJS.ProcessEnv = process.env): readonly string[] | undefined {
  const file = env[EXTRA_CA_ENV];
  if (file === undefined || file === '' || (env.NODE_EXTRA_CA_CERTS ?? '') !== '') return undefined;
  if (cached?.file === file) return cached.certs;
  let certs: readonly string[] | undefined;
  try {
    const pem = readFileSync(file, 'latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    certs = [...requireBuiltin<typeof import('node:tls')>('node:tls').rootCertificates, ...pem];
  } catch (err) {
    // As Node does with an unreadable NODE_EXTRA_CA_CERTS: warn once and keep the default roots.
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
    certs = undefined;
  }
  cached = { file, certs };
  return certs;
}

let fetchTrusted = false;

/**
 * Makes the global `fetch` (undici) trust the extra CAs too, by replacing its global dispatcher with one
 * whose TLS connections use {@link extraCaCertificates}. Call before the first https `fetch`; idempotent and
 * cheap afterwards. Node 20 exposes no undici `Agent`, so the class is taken from the default dispatcher
 * that undici installs when it loads (touching `Headers` loads it).
 */
export function trustExtraCasInFetch(env: NodeJS.ProcessEnv = process.env): void {
  if (fetchTrusted) return;
  fetchTrusted = true;
  const ca = extraCaCertificates(env);
  if (ca === undefined) return;
  const key = Symbol.for('undici.globalDispatcher.1');
  const g = globalThis as unknown as Record<symbol, unknown>;
  void globalThis.Headers;
  const current = g[key] as { constructor: new (options: object) => unknown } | undefined;
  if (current === undefined) throw new Error('fetch has no global dispatcher to extend with the extra CA certificates');
  g[key] = new current.constructor({ connect: { ca: [...ca] } });
}
