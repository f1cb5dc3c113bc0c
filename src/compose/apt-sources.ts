/**
 * The apt sources a Debian compose installs from. `apt-sources: host` reads the build machine's
 * own apt configuration at run time (berth never names a mirror): deb822 `*.sources` and
 * one-line `*.list` files under /etc/apt. When the treefile's `apt-suite` differs from the
 * host's release, suites named after the host's codename are renamed (bookworm-security →
 * trixie-security); entries for other suites (third-party repositories) are left out.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isErrno } from '../core/index.js';
import { Deb822Paragraph, formatDeb822, parseDeb822, sourcesListToDeb822 } from '../formats/index.js';
import { ComposeInvalid } from './errors.js';

export interface AptSourcesOptions {
  /** Root of the machine whose apt configuration `host` means (default "/"; tests pass a fake). */
  readonly hostRoot?: string;
}

export async function readHostAptSources(options: AptSourcesOptions = {}): Promise<Deb822Paragraph[]> {
  const etcApt = path.join(options.hostRoot ?? '/', 'etc/apt');
  const out: Deb822Paragraph[] = [];
  const main = await readOptional(path.join(etcApt, 'sources.list'));
  if (main !== undefined) out.push(...sourcesListToDeb822(main, 'sources.list'));
  let names: string[] = [];
  try {
    names = (await readdir(path.join(etcApt, 'sources.list.d'))).sort();
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  for (const name of names) {
    const file = path.join(etcApt, 'sources.list.d', name);
    if (name.endsWith('.sources')) {
      const paragraphs = parseDeb822((await readOptional(file)) ?? '', { file });
      out.push(...paragraphs.filter((p) => (p.get('Enabled') ?? 'yes').toLowerCase() !== 'no'));
    } else if (name.endsWith('.list')) {
      out.push(...sourcesListToDeb822((await readOptional(file)) ?? '', file));
    }
  }
  return out.filter((p) => (p.get('Types') ?? '').split(/\s+/).includes('deb'));
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** VERSION_CODENAME of the machine (e.g. "bookworm"). */
export async function hostCodename(options: AptSourcesOptions = {}): Promise<string | undefined> {
  const text = (await readOptional(path.join(options.hostRoot ?? '/', 'etc/os-release'))) ?? '';
  const m = /^VERSION_CODENAME=["']?([^"'\n]+)["']?$/m.exec(text);
  return m?.[1];
}

/**
 * Keeps the entries that carry `fromSuite` (or its -updates/-security/-backports pockets) and
 * renames those suites to `toSuite`; drops `Types: deb-src`.
 */
export function retargetSuites(paragraphs: readonly Deb822Paragraph[], fromSuite: string, toSuite: string): Deb822Paragraph[] {
  const out: Deb822Paragraph[] = [];
  for (const p of paragraphs) {
    const suites = (p.get('Suites') ?? '').split(/\s+/).filter(Boolean);
    const kept = suites
      .filter((s) => s === fromSuite || s.startsWith(`${fromSuite}-`) || s.startsWith(`${fromSuite}/`))
      .filter((s) => fromSuite === toSuite || !s.endsWith('-backports'))
      .map((s) => toSuite + s.slice(fromSuite.length));
    if (kept.length === 0) continue;
    const copy = new Deb822Paragraph(p.entries());
    copy.set('Types', 'deb');
    copy.set('Suites', kept.join(' '));
    out.push(copy);
  }
  return out;
}

export interface ResolvedAptSources {
  /** deb822 text handed to mmdebstrap and to the private apt used for the input hash. */
  readonly deb822: string;
  readonly suite: string;
}

/** Turns the treefile's `apt-suite` / `apt-sources` into one deb822 document. */
export async function resolveAptSources(
  spec: { readonly aptSuite?: string; readonly aptSources?: 'host' | readonly string[] },
  options: AptSourcesOptions = {},
): Promise<ResolvedAptSources> {
  const sources = spec.aptSources ?? 'host';
  let paragraphs: Deb822Paragraph[];
  let suite = spec.aptSuite;
  if (sources === 'host') {
    const codename = await hostCodename(options);
    suite ??= codename;
    if (suite === undefined) throw new ComposeInvalid('The host has no VERSION_CODENAME; set apt-suite in the treefile', { key: 'apt-suite' });
    const host = await readHostAptSources(options);
    paragraphs = codename === undefined ? host : retargetSuites(host, codename, suite);
    if (paragraphs.length === 0) {
      throw new ComposeInvalid(`No apt source of this machine serves suite ${JSON.stringify(suite)}`, { key: 'apt-sources' });
    }
  } else {
    paragraphs = [];
    for (const file of sources) {
      const text = await readFile(file, 'utf8');
      paragraphs.push(...(file.endsWith('.list') ? sourcesListToDeb822(text, file) : parseDeb822(text, { file })));
    }
    suite ??= paragraphs[0]?.get('Suites')?.split(/\s+/)[0];
    if (suite === undefined) throw new ComposeInvalid('Cannot tell the suite; set apt-suite in the treefile', { key: 'apt-suite' });
  }
  return { deb822: formatDeb822(paragraphs), suite };
}
