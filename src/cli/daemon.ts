/**
 * `berth daemon` (also `berthd`): the host daemon with the Docker Engine API socket.
 *   berth daemon [--root DIR] [--run-root DIR] [--docker-socket PATH] [--config FILE] [--log-level L] [--guide]
 * Runs until SIGTERM/SIGINT, then stops serving and leaves containers running (they belong to their
 * monitors). Three signals force an immediate exit (as with dockerd).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBusyboxImage } from '../image/index.js';
import type { CommandContext } from './context.js';
import { openEngineBackend } from './daemon-backend.js';
import { loadConfig, type DaemonConfig } from './daemon-config.js';
import { Berthd } from './daemon-host.js';
import { createLogger } from './daemon-log.js';
import { berthVersion } from './version.js';

export const DEMO_IMAGE = 'localhost/busybox-tiny:latest';

/** For the guide: an empty store gets the offline busybox image (from Debian's busybox-static). */
async function ensureDemoImage(daemon: Berthd): Promise<string | undefined> {
  const images = daemon.backend?.images;
  if (images === undefined) return undefined;
  const list = await images.list();
  if (list.length > 0) return list.find((i) => i.repoTags.length > 0)?.repoTags[0];
  const dir = await mkdtemp(join(tmpdir(), 'berth-demo-'));
  try {
    const built = await buildBusyboxImage({ dir, tag: DEMO_IMAGE });
    await images.load(createReadStream(built.dockerArchive));
    return DEMO_IMAGE;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function renderGuide(config: DaemonConfig, image = 'IMAGE'): string {
  const host = `unix://${config.dockerSocket}`;
  return [
    '',
    `berthd ${berthVersion()} is running: the Docker Engine API on ${config.dockerSocket}`,
    `  state under ${config.root}, runtime files under ${config.runRoot}`,
    '',
    'Try it from another terminal with the docker CLI (or any Docker API client):',
    `  export DOCKER_HOST=${host}`,
    '  docker version && docker info',
    '  docker images                    # more: docker load -i FILE.tar, docker pull 127.0.0.1:5000/REPO:TAG',
    `  docker run --rm ${image} echo hello`,
    `  docker run -d --name web -p 8080:80 ${image} httpd -f -p 80 -h /var/www && docker ps && curl -s 127.0.0.1:8080`,
    '  docker logs web; docker exec -it web sh; docker stats --no-stream',
    '  docker stop web && docker rm web',
    '',
    'Other berth verbs work beside it: `bin/berth --help` (e.g. `bin/berth tour`).',
    'Stop with Ctrl-C or SIGTERM; running containers keep running and are found again at the next start.',
    '',
  ].join('\n');
}

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      root: { type: 'string' },
      'run-root': { type: 'string' },
      'docker-socket': { type: 'string', short: 'H' },
      config: { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      guide: { type: 'boolean', default: false },
      'print-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.stdout.write('Usage: berth daemon [--root DIR] [--run-root DIR] [--docker-socket PATH] [--config FILE] [--log-level debug|info|warn|error] [--guide] [--print-config]\n');
    return 0;
  }
  const socket = values['docker-socket']?.replace(/^unix:\/\//, '');
  const config = await loadConfig(
    { ...(values.config !== undefined ? { configFile: values.config } : {}) },
    {
      ...(values.root !== undefined ? { root: values.root } : {}),
      ...(values['run-root'] !== undefined ? { runRoot: values['run-root'] } : {}),
      ...(socket !== undefined ? { dockerSocket: socket } : {}),
      ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
    },
  );
  if (values['print-config']) {
    ctx.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  }
  const logger = createLogger({ level: config.logLevel, out: ctx.stderr });
  // One failed request must not take the daemon (and every client's streams) down with it.
  process.on('unhandledRejection', (err) => logger.error('Unhandled rejection', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  process.on('uncaughtException', (err) => logger.error('Uncaught exception', { error: err.stack ?? err.message }));
  const daemon = new Berthd({ config, logger, openBackend: openEngineBackend, version: berthVersion() });
  await daemon.start();
  if (values.guide) {
    let image: string | undefined;
    try {
      image = await ensureDemoImage(daemon);
    } catch (err) {
      logger.warn('Could not prepare the demo image', { error: err instanceof Error ? err.message : String(err) });
    }
    ctx.stdout.write(renderGuide(config, image));
  }

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals += 1;
      if (signals >= 3) {
        logger.warn('Forcing shutdown: 3 signals received', { signal: sig });
        process.exit(130);
      }
      if (signals > 1) return;
      logger.info('Signal received', { signal: sig });
      daemon.stop().then(
        () => {
          process.removeListener('SIGTERM', onSignal);
          process.removeListener('SIGINT', onSignal);
          resolve(0);
        },
        (err: unknown) => {
          logger.error('Stopping failed', { error: err instanceof Error ? err.message : String(err) });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
