import { InvalidArgument } from '../../core/index.js';
import { DEFAULT_DOMAIN } from '../../formats/oci/index.js';
import { RegistryClient, authFilePath, removeCredentials, storeCredentials } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { bool, parseFlags, str } from '../container/flags.js';

function serverName(arg: string | undefined): string {
  if (arg === undefined) return DEFAULT_DOMAIN;
  return arg.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** `berth login [-u USER] [-p PASS | --password-stdin] [--authfile F] [SERVER]`: checks, then stores docker config.json credentials. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    username: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    'password-stdin': { type: 'bool' },
    authfile: { type: 'string' },
    'tls-verify': { type: 'string' },
  });
  if (positionals.length > 1) throw new InvalidArgument('"login" requires at most 1 argument', { argv });
  const registry = serverName(positionals[0]);
  const username = str(values.username);
  let password = str(values.password);
  if (password !== undefined) ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (bool(values['password-stdin'])) {
    if (password !== undefined) throw new InvalidArgument('--password and --password-stdin are mutually exclusive', { argv });
    if (username === undefined) throw new InvalidArgument('Must provide --username with --password-stdin', { argv });
    password = (await readAll(ctx.stdin as AsyncIterable<Uint8Array>)).replace(/\r?\n$/, '');
  }
  if (username === undefined || password === undefined) {
    throw new InvalidArgument('Username and password are required (-u USER with -p PASS or --password-stdin)', { argv });
  }
  const insecure = str(values['tls-verify']) === 'false' || (ctx.env.BERTH_INSECURE_REGISTRIES ?? '').split(',').includes(registry);
  await new RegistryClient({ registry, credentials: { username, password }, ...(insecure ? { insecure: true } : {}) }).checkLogin();
  await storeCredentials(registry, { username, password }, authFilePath(ctx.env, str(values.authfile)), ctx.env);
  ctx.stdout.write('Login Succeeded\n');
  return 0;
}

/** `berth logout [SERVER]` */
export async function runLogout(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, { authfile: { type: 'string' } });
  const registry = serverName(positionals[0]);
  const removed = await removeCredentials(registry, authFilePath(ctx.env, str(values.authfile)), ctx.env);
  ctx.stdout.write(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
  return 0;
}
