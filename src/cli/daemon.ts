/**
 * `berth daemon` (also `berthd`): the host daemon with the Docker Engine API socket.
 *   berth daemon [--root DIR] [--run-root DIR] [--docker-socket PATH] [--config FILE] [--log-level L] [--guide]
 * Runs until SIGTERM/SIGINT, then stops serving and leaves containers running (they belong to their
 * monitors). A second signal exits at once.
 */
import { parseArgs } from 'node:util';
import type { CommandContext } from './context.js';
import { openEngineBackend } from './daemon-backend.js';
import { loadConfig, type DaemonConfig } from './daemon-config.js';
import { Berthd } from './daemon-host.js';
import { createLogger } from './daemon-log.js';
import { berthVersion } from './version.js';

export function renderGuide(config: DaemonConfig): string {
  const host = `unix://${config.dockerSocket}`;
  return [
    '',
    `berthd ${berthVersion()} is running: the Docker Engine API on ${config.dockerSocket}`,
    `  state under ${config.root}, runtime files under ${config.runRoot}`,
    '',
    'Try it from another terminal with the docker CLI (or any Docker API client):',
    `  export DOCKER_HOST=${host}`,
    '  docker version && docker info',
    '  docker load -i IMAGE.tar         # or: docker pull 127.0.0.1:5000/REPO:TAG from a local registry',
    '  docker images',
    '  docker run --rm IMAGE echo hello',
    '  docker run -d --name web -p 8080:80 IMAGE httpd -f -p 80 && docker ps',
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
  const daemon = new Berthd({ config, logger, openBackend: openEngineBackend, version: berthVersion() });
  await daemon.start();
  if (values.guide) ctx.stdout.write(renderGuide(config));

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        logger.warn('Second signal: exiting now', { signal: sig });
        process.exit(130);
      }
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
