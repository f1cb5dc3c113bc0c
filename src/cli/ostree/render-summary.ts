import { bswap64, type Summary } from '../../formats/ostree/index.js';
import { vardictGet, type Variant } from '../../formats/gvariant/index.js';
import { formatSize } from './render-size.js';
import { printVariant } from './render-variant.js';

/** `%FT%T%:::z` in the local time zone, as ostree prints summary timestamps: 2026-01-01T00:00:00+00. */
export function isoLocal(seconds: number, tzOffsetMinutes: number): string {
  const d = new Date((seconds + tzOffsetMinutes * 60) * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const sign = tzOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(tzOffsetMinutes);
  const zone = `${sign}${p(Math.floor(abs / 60))}${abs % 60 === 0 ? '' : `:${p(abs % 60)}`}`;
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${zone}`;
}

function beSeconds(v: Variant): number {
  return Number(bswap64(v.value as bigint));
}

const MODES = new Set(['bare', 'bare-user', 'bare-user-only', 'archive', 'archive-z2']);

/** `ostree summary -v`: refs with their latest commit, then the additional metadata. */
export function renderSummaryHuman(s: Summary, tzOffsetMinutes: number): string {
  let out = '';
  const collectionId = vardictGet(s.metadata, 'ostree.summary.collection-id');
  for (const ref of s.refs) {
    out += collectionId === undefined ? `* ${ref.name}\n` : `* (${collectionId.value as string}, ${ref.name})\n`;
    out += `    Latest Commit (${formatSize(ref.commitSize)}):\n      ${ref.checksum}\n`;
    for (const [key, value] of ref.metadata) {
      if (key === 'ostree.commit.timestamp') out += `    Timestamp (${key}): ${isoLocal(beSeconds(value), tzOffsetMinutes)}\n`;
      else if (key === 'ostree.commit.version') out += `    Version (${key}): ${value.value as string}\n`;
      else out += `    ${key}: ${printVariant(value.type, value.value, { annotate: false })}\n`;
    }
    out += '\n';
  }
  for (const [key, value] of s.metadata) {
    let pretty: string | undefined;
    let text: string;
    switch (key) {
      case 'ostree.static-deltas':
        pretty = 'Static Deltas';
        text = printVariant(value.type, value.value, { annotate: false });
        break;
      case 'ostree.summary.last-modified':
        pretty = 'Last-Modified';
        text = isoLocal(beSeconds(value), tzOffsetMinutes);
        break;
      case 'ostree.summary.expires':
        pretty = 'Expires';
        text = isoLocal(beSeconds(value), tzOffsetMinutes);
        break;
      case 'ostree.summary.collection-id':
        pretty = 'Collection ID';
        text = value.value as string;
        break;
      case 'ostree.summary.collection-map':
        pretty = 'Collection Map';
        text = '(printed above)';
        break;
      case 'ostree.summary.mode':
        pretty = 'Repository Mode';
        text = MODES.has(value.value as string) ? (value.value as string) : `Invalid (‘${value.value as string}’)`;
        break;
      case 'ostree.summary.tombstone-commits':
        pretty = 'Has Tombstone Commits';
        text = value.value === true ? 'Yes' : 'No';
        break;
      default:
        text = printVariant(value.type, value.value, { annotate: false });
    }
    out += pretty === undefined ? `${key}: ${text}\n` : `${pretty} (${key}): ${text}\n`;
  }
  return out;
}
