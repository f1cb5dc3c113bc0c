import { COMMIT_TYPE } from '../../formats/delta/index.js';
import { decodeGVariant, vardictGet } from '../../formats/gvariant/index.js';
import { type Commit } from '../../formats/ostree/index.js';
import { printVariant } from './render-variant.js';

/** `2026-01-01 00:00:00 +0000`: ostree prints commit dates in UTC. */
export function formatCommitDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function indented(text: string): string {
  let out = '';
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (i < lines.length - 1) out += `    ${line}\n`;
    else if (line !== '') out += `    ${line}\n`;
  });
  return out;
}

/** ostree's human commit dump (`ostree log`, `ostree show REV`). */
export function renderCommitHuman(checksum: string, commit: Commit, contentChecksum: string): string {
  let out = `commit ${checksum}\n`;
  if (commit.parent !== undefined) out += `Parent:  ${commit.parent}\n`;
  out += `ContentChecksum:  ${contentChecksum}\n`;
  out += `Date:  ${formatCommitDate(commit.timestamp)}\n`;
  const version = vardictGet(commit.metadata, 'version');
  if (version !== undefined && version.type === 's') out += `Version: ${version.value as string}\n`;
  out += commit.subject !== '' ? `\n${indented(commit.subject)}` : '(no subject)\n';
  if (commit.body !== '') out += `\n${indented(commit.body)}`;
  return `${out}\n`;
}

/** `--raw`: the commit variant as g_variant_print shows it after byte-swapping. */
export function renderCommitRaw(checksum: string, bytes: Uint8Array): string {
  return `commit ${checksum}\n${printVariant(COMMIT_TYPE, decodeGVariant(COMMIT_TYPE, bytes), { annotate: true, byteswap: true })}\n`;
}
