import { InvalidArgument } from '../../core/index.js';
import { parseReference, familiarReference } from '../../formats/oci/index.js';
import type { ImageSummary } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { bool, list, parseFlags, str } from '../container/flags.js';
import { parseTemplate, tabwrite } from '../container/template.js';
import { openStore } from './common.js';
import { IMAGES_DEFAULT_FORMAT, IMAGES_DIGEST_FORMAT, IMAGE_HEADERS, imageContext, imageRows } from './render.js';

/** docker's reference filter: path.Match on the familiar name, with and without tag; only matching names stay. */
function narrowToReference(img: ImageSummary, pattern: string): ImageSummary | undefined {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const hit = (name: string) => re.test(name) || re.test(name.replace(/[:@][^:/@]+$/, '')) || re.test(name.replace(/@.*$/, ''));
  const repoTags = img.repoTags.filter(hit);
  const repoDigests = img.repoDigests.filter(hit);
  return repoTags.length > 0 || repoDigests.length > 0 ? { ...img, repoTags, repoDigests } : undefined;
}

export function filterImages(images: readonly ImageSummary[], filters: readonly string[]): ImageSummary[] {
  let out = [...images];
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new InvalidArgument(`Bad format of filter (expected name=value): ${f}`, { filter: f });
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (key === 'dangling') out = out.filter((i) => (i.repoTags.length === 0) === (value === 'true' || value === '1'));
    else if (key === 'reference') out = out.flatMap((i) => narrowToReference(i, value) ?? []);
    else if (key === 'label') {
      const [k = '', v] = value.split('=', 2);
      out = out.filter((i) => (v === undefined ? k in i.labels : i.labels[k] === v));
    } else throw new InvalidArgument(`Invalid filter ${JSON.stringify(key)}`, { filter: f });
  }
  return out;
}

/** `berth images [-a] [-q] [--digests] [--no-trunc] [--filter k=v] [--format T] [REPOSITORY[:TAG]]` */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    all: { type: 'bool', short: 'a' },
    quiet: { type: 'bool', short: 'q' },
    digests: { type: 'bool' },
    'no-trunc': { type: 'bool' },
    filter: { type: 'list', short: 'f' },
    format: { type: 'string' },
    tree: { type: 'bool' },
  });
  if (positionals.length > 1) throw new InvalidArgument('"images" requires at most 1 argument', { argv });
  const store = await openStore(ctx);
  const filters = list(values.filter);
  if (positionals[0] !== undefined) filters.push(`reference=${positionals[0].includes(':') ? familiarReference(parseReference(positionals[0])) : positionals[0]}`);
  const images = filterImages(await store.list(), filters);
  const digests = bool(values.digests);
  const trunc = !bool(values['no-trunc']);
  const rows = imageRows(images, { digests });
  const now = Date.now();
  if (bool(values.quiet)) {
    for (const r of rows) ctx.stdout.write(`${imageContext(r, { trunc, now }).ID}\n`);
    return 0;
  }
  const format = str(values.format) ?? (digests ? IMAGES_DIGEST_FORMAT : IMAGES_DEFAULT_FORMAT);
  const tpl = parseTemplate(format);
  const lines = rows.map((r) => tpl.render(imageContext(r, { trunc, now })));
  if (tpl.table) ctx.stdout.write(tabwrite([tpl.header(IMAGE_HEADERS), ...lines]));
  else ctx.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}
