import type { Readable } from 'node:stream';

/**
 * The first line a freshly spawned helper (conmon's sync pipe, the monitor, the port proxy) writes on its
 * report pipe, bounded in time: `timedOut` when nothing complete came within `timeoutMs`, whatever arrived
 * (or `closedEarly` when nothing did) when the pipe closed first. The pipe is destroyed afterwards.
 */
export async function readReportLine(pipe: Readable, o: { timeoutMs: number; timedOut: string; closedEarly: string }): Promise<string> {
  let text = '';
  const line = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve(o.timedOut), o.timeoutMs);
    pipe.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.slice(0, text.indexOf('\n')));
      }
    });
    pipe.on('close', () => {
      clearTimeout(timer);
      resolve(text || o.closedEarly);
    });
    pipe.on('error', () => undefined);
  });
  pipe.destroy();
  return line;
}
