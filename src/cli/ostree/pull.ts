import { getRemote, LooseStore, pull, remoteBranches, remoteFetcherOptions, remoteVerification } from '../../ostree/pull/index.js';
import type { CommandContext } from '../context.js';
import { repoPathOf, runVerb, UsageError, type VerbSpec } from './goption.js';
import { progressReporter, renderPullSummary, type ProgressMode } from './pull-progress.js';

export const SPEC: VerbSpec = {
  name: 'pull',
  synopsis: 'REMOTE [BRANCH…]',
  summary: 'Download data from remote repository',
  options: [
    { long: 'commit-metadata-only', help: 'Fetch only the commit metadata' },
    { long: 'disable-static-deltas', help: 'Do not use static deltas' },
    { long: 'require-static-deltas', help: 'Require static deltas' },
    { long: 'mirror', help: 'Write refs suitable for a mirror and fetch all refs if none provided' },
    { long: 'subpath', arg: 'SUBPATH', help: 'Only pull the provided subpath(s)' },
    { long: 'depth', arg: 'DEPTH', help: 'Traverse DEPTH parents (-1=infinite) (default: 0)' },
    { long: 'dry-run', help: 'Only print information on what will be downloaded (requires static deltas)' },
    { long: 'url', arg: 'URL', help: 'Pull objects from this URL instead of the one from the remote config' },
    { long: 'disable-fsync', help: 'Do not invoke fsync()' },
    { long: 'progress', arg: 'MODE', help: 'Progress output: auto, tty, quiet, json, none' },
    { long: 'max-connections', arg: 'N', help: 'Concurrent HTTP connections (default 8)' },
    { long: 'low-speed-timeout', arg: 'SECONDS', help: 'Give up on a request that delivers nothing for this long (default 30)' },
  ],
};

/** `ostree pull REMOTE [REF…]` */
export function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runVerb(SPEC, argv, ctx, async (args) => {
    const [remoteArg, ...refArgs] = args.positionals;
    if (remoteArg === undefined) throw new UsageError('REMOTE must be specified');
    // REMOTE:REF is accepted too, as ostree does
    let remoteName = remoteArg;
    const refs = [...refArgs];
    if (remoteArg.includes(':')) {
      remoteName = remoteArg.slice(0, remoteArg.indexOf(':'));
      refs.unshift(remoteArg.slice(remoteArg.indexOf(':') + 1));
    }
    const repo = repoPathOf(args, ctx);
    const loc = { repo };
    const remote = await getRemote(loc, remoteName);
    if (refs.length === 0) refs.push(...remoteBranches(remote));
    if (refs.length === 0 && !args.has('mirror')) throw new UsageError('No branches specified and the remote has no branches= configured');
    const store = await LooseStore.open(repo);
    const verify = await remoteVerification(loc, remote);
    const modeArg = args.get('progress') ?? 'auto';
    const mode: ProgressMode = modeArg === 'auto' ? (ctx.stdout.isTTY === true ? 'tty' : 'quiet') : (modeArg as ProgressMode);
    if (!['tty', 'quiet', 'json', 'none'].includes(mode)) throw new UsageError(`Unknown progress mode ${JSON.stringify(modeArg)}`);
    const reporter = progressReporter(mode, ctx.stdout);
    const depth = args.get('depth');
    const maxConn = args.get('max-connections');
    const lowSpeed = args.get('low-speed-timeout');
    const result = await pull(store, {
      remoteName,
      url: args.get('url') ?? remote.url,
      refs,
      verify,
      ...(args.has('mirror') ? { mirror: true } : {}),
      ...(depth !== undefined ? { depth: Number(depth) } : {}),
      ...(args.has('commit-metadata-only') ? { commitMetadataOnly: true } : {}),
      ...(args.has('disable-static-deltas') ? { disableStaticDeltas: true } : {}),
      ...(args.has('require-static-deltas') ? { requireStaticDeltas: true } : {}),
      ...(args.has('subpath') ? { subpaths: args.all('subpath') } : {}),
      ...(args.has('dry-run') ? { dryRun: true } : {}),
      fetcher: {
        ...(await remoteFetcherOptions(remote)),
        ...(maxConn !== undefined ? { maxConnections: Number(maxConn) } : {}),
        ...(lowSpeed !== undefined ? { lowSpeedTimeoutMs: Number(lowSpeed) * 1000 } : {}),
      },
      onProgress: reporter.update,
    });
    reporter.finish();
    if (args.has('dry-run')) {
      for (const r of result.refs) ctx.stdout.write(`${remoteName}:${r.ref} ${r.previous ?? '(none)'} -> ${r.commit}\n`);
      return;
    }
    if (mode === 'json') ctx.stdout.write(`${JSON.stringify({ type: 'done', refs: result.refs.map((r) => ({ ref: r.ref, commit: r.commit, previous: r.previous ?? null, delta: r.viaDelta ?? null })), metadataFetched: result.metadataFetched, contentFetched: result.contentFetched, deltaPartsFetched: result.deltaPartsFetched, bytes: result.bytesTransferred, requests: result.requests, seconds: result.seconds })}\n`);
    else if (mode !== 'none') ctx.stdout.write(`${renderPullSummary(result)}\n`);
  });
}
