import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, isHostError, writeFileAtomic } from '../../core/index.js';
import { SignFailed } from './errors.js';

/**
 * OpenPGP signatures as ostree keeps them: binary detached signatures over the raw object
 * bytes, in `ostree.gpgsigs`. gpg makes them and gpgv checks them (ostree uses gpgme; the
 * packets are the same). Trusted keys are keyring files — `<repo>/<remote>.trustedkeys.gpg`,
 * `/etc/ostree/remotes.d/<remote>.trustedkeys.gpg`, `gpgkeypath=` entries — every key in them
 * is trusted, as in ostree.
 */

export interface GpgSignOptions {
  /** Key ID, fingerprint or user ID of the secret key (`--gpg-sign`). */
  readonly keyId: string;
  /** GNUPGHOME holding the secret key (`--gpg-homedir`); gpg's default when undefined. */
  readonly homedir?: string;
}

export async function gpgSign(data: Uint8Array, options: GpgSignOptions): Promise<Uint8Array> {
  const argv = ['gpg', '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', ''];
  if (options.homedir !== undefined) argv.push('--homedir', options.homedir);
  argv.push('--local-user', options.keyId, '--detach-sign', '--output', '-');
  try {
    const r = await exec(argv, { input: data, pkg: 'gnupg', timeoutMs: 60_000 });
    if (r.stdout.length === 0) throw new Error('gpg wrote no signature');
    return new Uint8Array(r.stdout);
  } catch (err) {
    if (isHostError(err) && err.code === 'CORE_TOOL_MISSING') throw err;
    throw new SignFailed(`GPG signing with key ${JSON.stringify(options.keyId)} failed: ${err instanceof Error ? err.message : String(err)}`, { type: 'gpg', key: options.keyId }, { cause: err });
  }
}

export type GpgSigState = 'valid' | 'unknown-key' | 'invalid' | 'expired-key' | 'revoked-key';

export interface GpgSigResult {
  readonly state: GpgSigState;
  /** Long key ID from the signature packet (16 hex) or the primary key fingerprint when valid. */
  readonly keyId: string;
  readonly fingerprint?: string;
  readonly userId?: string;
  /** Signature creation time, seconds since the epoch, when gpgv reports it. */
  readonly timestamp?: number;
}

/** Parses gpgv's `--status-fd` lines for one signature. */
export function parseGpgStatus(status: string): GpgSigResult {
  let result: GpgSigResult | undefined;
  let fingerprint: string | undefined;
  let timestamp: number | undefined;
  for (const line of status.split('\n')) {
    const m = /^\[GNUPG:\] (\S+)(?: (.*))?$/.exec(line.trim());
    if (m === null) continue;
    const [, tag, rest = ''] = m;
    const words = rest.split(' ');
    switch (tag) {
      case 'GOODSIG':
        result = { state: 'valid', keyId: words[0]!, userId: words.slice(1).join(' ') };
        break;
      case 'BADSIG':
        result = { state: 'invalid', keyId: words[0]!, userId: words.slice(1).join(' ') };
        break;
      case 'EXPKEYSIG':
        result = { state: 'expired-key', keyId: words[0]!, userId: words.slice(1).join(' ') };
        break;
      case 'REVKEYSIG':
        result = { state: 'revoked-key', keyId: words[0]!, userId: words.slice(1).join(' ') };
        break;
      case 'ERRSIG':
        // ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc>; rc 9 = no public key
        if (result === undefined) result = { state: words[5] === '9' ? 'unknown-key' : 'invalid', keyId: words[0]! };
        break;
      case 'NO_PUBKEY':
        if (result === undefined || result.state !== 'valid') result = { state: 'unknown-key', keyId: words[0]! };
        break;
      case 'VALIDSIG':
        fingerprint = words[9] ?? words[0];
        timestamp = Number(words[2]);
        break;
      default:
        break;
    }
  }
  if (result === undefined) return { state: 'invalid', keyId: '' };
  return {
    ...result,
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    ...(timestamp !== undefined && Number.isFinite(timestamp) ? { timestamp } : {}),
  };
}

async function existing(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      await access(p);
      out.push(p);
    } catch {
      /* a missing keyring is simply not a source of keys */
    }
  }
  return out;
}

/** Checks each signature with gpgv against the keyrings (missing files are skipped). */
export async function gpgVerify(data: Uint8Array, signatures: readonly Uint8Array[], keyrings: readonly string[]): Promise<GpgSigResult[]> {
  if (signatures.length === 0) return [];
  const rings = await existing(keyrings);
  const dir = await mkdtemp(join(tmpdir(), 'berth-gpgv-'));
  try {
    const dataPath = join(dir, 'data');
    await writeFile(dataPath, data);
    const results: GpgSigResult[] = [];
    for (let i = 0; i < signatures.length; i++) {
      const sigPath = join(dir, `sig${i}`);
      await writeFile(sigPath, signatures[i]!);
      const argv = ['gpgv', '--homedir', dir, '--status-fd', '1'];
      // gpgv insists on a keyring; an empty one makes every signature "no public key"
      if (rings.length === 0) {
        const empty = join(dir, 'empty.gpg');
        await writeFile(empty, new Uint8Array(0));
        argv.push('--keyring', empty);
      }
      for (const k of rings) argv.push('--keyring', k);
      argv.push(sigPath, dataPath);
      const r = await exec(argv, { check: false, pkg: 'gpgv', timeoutMs: 60_000 });
      results.push(parseGpgStatus(r.stdout.toString('utf8')));
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Imports keys (armored or binary files) into a keyring file, as `ostree remote gpg-import`
 * does for `<remote>.trustedkeys.gpg`. Returns the number of keys now in the keyring output.
 */
export async function gpgImportToKeyring(keyring: string, keyFiles: readonly string[], keyIds: readonly string[] = [], fromHomedir?: string): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gpgimport-'));
  try {
    const base = ['gpg', '--batch', '--no-tty', '--homedir', dir];
    const rings = await existing([keyring]);
    for (const r of rings) await exec([...base, '--import', r], { pkg: 'gnupg', timeoutMs: 60_000 });
    for (const f of keyFiles) await exec([...base, '--import', f], { pkg: 'gnupg', timeoutMs: 60_000 });
    if (fromHomedir !== undefined && keyIds.length > 0) {
      const exported = await exec(['gpg', '--batch', '--no-tty', '--homedir', fromHomedir, '--export', ...keyIds], { pkg: 'gnupg', timeoutMs: 60_000 });
      await exec([...base, '--import'], { input: exported.stdout, pkg: 'gnupg', timeoutMs: 60_000 });
    }
    const out = await exec([...base, '--export'], { pkg: 'gnupg', timeoutMs: 60_000 });
    const list = await exec([...base, '--list-keys', '--with-colons'], { pkg: 'gnupg', timeoutMs: 60_000, check: false });
    await writeFileAtomic(keyring, out.stdout);
    return list.stdout.toString('utf8').split('\n').filter((l) => l.startsWith('pub:')).length;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
