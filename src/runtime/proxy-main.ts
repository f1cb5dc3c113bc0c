/**
 * The userland proxy of a conmon-monitored container that publishes ports (docker-proxy's role; the Node
 * monitor runs the same proxies in-process). argv: <specs JSON> <conmon pid file>. Reports
 * `{"ports":[…]}` (chosen host ports filled in) or `{"error":"…"}` as one line on fd 3, then serves until
 * SIGTERM (the exit command sends it) or until the container's conmon is gone (checked every 2 s, so a
 * crashed conmon does not leave the ports held).
 */
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { startPortProxies, type ProxySpec } from './port-proxy.js';

function report(msg: object): void {
  try {
    writeSync(3, `${JSON.stringify(msg)}\n`);
    closeSync(3);
  } catch {
    /* the starter went away */
  }
}

function alive(pidFile: string): boolean {
  let pid = 0;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10) || 0;
  } catch {
    return true; // not written yet (conmon is being started)
  }
  if (pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const [specsJson, pidFile] = process.argv.slice(2);
if (specsJson === undefined || pidFile === undefined) throw new Error('usage: proxy-main <specs JSON> <conmon pid file>');
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', () => process.exit(0));
try {
  const proxies = await startPortProxies(JSON.parse(specsJson) as ProxySpec[]);
  report({ ports: proxies.map((p) => p.spec) });
  const timer = setInterval(() => {
    if (!alive(pidFile)) process.exit(0);
  }, 2000);
  timer.unref(); // the proxies' servers keep the process alive
} catch (err) {
  report({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
