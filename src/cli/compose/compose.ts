/**
 * `berth compose SUBVERB`, rpm-ostree's compose verbs: `tree` (treefile → commit) and `image`
 * (commit → bootable disk; rpm-ostree's `compose image` builds container images, berth's builds
 * disks, because the `image` verb belongs to the container images).
 */
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { composeTree, type ComposePhase } from '../../compose/index.js';
import type { CommandContext } from '../context.js';

const USAGE = `Usage: berth compose SUBVERB [OPTIONS…]

Subverbs:
  tree   --repo=REPO [--cachedir=DIR] [--force-nocache] [--dry-run] TREEFILE
         Compose an OS tree from distribution packages and commit it to REPO
  image  --repo=REPO [--rev=REF] --output=FILE [--format=raw|qcow2] [--size=SIZE] [--karg=ARG…] [--seed=DIR]
         Write a bootable GPT disk (ext4 root, GRUB reading the BLS entries) from a commit
  seed   --output=FILE [--format=vfat|iso9660] DIR
         Write a NoCloud seed disk (label cidata) from DIR/meta-data and DIR/user-data
`;

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'tree') return tree(rest, ctx);
  if (sub === 'image') return (await import('./image.js')).run(rest, ctx);
  if (sub === 'seed') return (await import('./seed.js')).run(rest, ctx);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub === undefined ? ctx.stderr : ctx.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  ctx.stderr.write(`error: Unknown compose subverb ${JSON.stringify(sub)}\n${USAGE}`);
  return 2;
}

async function tree(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      repo: { type: 'string', short: 'r' },
      cachedir: { type: 'string' },
      workdir: { type: 'string' },
      'force-nocache': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'add-metadata-string': { type: 'string', multiple: true },
      'write-commitid-to': { type: 'string' },
      'write-composejson-to': { type: 'string' },
      basearch: { type: 'string' },
      version: { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      'keep-workdir': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1 || values.repo === undefined) {
    ctx.stderr.write(`error: compose tree needs --repo=REPO and one TREEFILE\n${USAGE}`);
    return 2;
  }
  const addMetadata = new Map<string, string>();
  for (const kv of values['add-metadata-string'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) {
      ctx.stderr.write(`error: --add-metadata-string needs KEY=VALUE, got ${JSON.stringify(kv)}\n`);
      return 2;
    }
    addMetadata.set(kv.slice(0, eq), JSON.stringify(kv.slice(eq + 1)));
  }
  const start = performance.now();
  const secs = (): string => ((performance.now() - start) / 1000).toFixed(1).padStart(6);
  const onPhase = (p: ComposePhase, detail: string): void => {
    ctx.stderr.write(`[${secs()}s] ${p}${detail ? `: ${detail}` : ''}\n`);
  };
  const result = await composeTree({
    treefile: positionals[0]!,
    repo: values.repo,
    ...(values.cachedir !== undefined ? { cacheDir: values.cachedir } : {}),
    ...(values.workdir !== undefined ? { workDir: values.workdir } : {}),
    ...(values.basearch !== undefined ? { basearch: values.basearch } : {}),
    ...(values.version !== undefined ? { version: values.version } : {}),
    forceNocache: values['force-nocache'],
    dryRun: values['dry-run'],
    addMetadata,
    onPhase,
    verbose: values.verbose,
    keepWorkDir: values['keep-workdir'],
  });
  if (result.noop) ctx.stdout.write('No apparent changes since previous commit; use --force-nocache to override\n');
  else if (result.checksum === undefined) ctx.stdout.write(`Input hash: ${result.inputhash}\n`);
  else ctx.stdout.write(`${result.ref} => ${result.checksum}\n${result.version !== undefined ? `Version: ${result.version}\n` : ''}Wrote commit: ${result.checksum}\n`);
  if (values['write-commitid-to'] !== undefined && result.checksum !== undefined && !result.noop) {
    await writeFile(values['write-commitid-to'], result.checksum);
  }
  if (values['write-composejson-to'] !== undefined) {
    const json = {
      ref: result.ref,
      'ostree-commit': result.checksum ?? null,
      'ostree-version': result.version ?? null,
      'rpm-ostree-inputhash': result.inputhash,
      'packages-count': result.packages,
      'no-op': result.noop,
      'timings-ms': result.timings,
      ...(result.install !== undefined ? { 'berth-install': result.install } : {}),
    };
    await writeFile(values['write-composejson-to'], `${JSON.stringify(json, null, 2)}\n`);
  }
  return 0;
}
