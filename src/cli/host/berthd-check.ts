/**
 * The built-in health check "berth's own services came up": berthd answers `GET /_ping` with
 * 200 on its Docker API socket. Polled (bounded: `attempts` tries, `intervalMs` apart) because
 * the check can run while berthd is still starting.
 */
import * as http from 'node:http';
import type { HealthCheck } from '../../sysroot/index.js';

export const DEFAULT_BERTHD_SOCKET = '/run/berth/docker.sock';

function ping(socketPath: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ ok: res.statusCode === 200, detail: `HTTP ${res.statusCode ?? 0} ${body.trim().slice(0, 80)}` }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, detail: e.message }));
    req.end();
  });
}

export function berthdCheck(socketPath: string, options: { readonly attempts?: number; readonly intervalMs?: number } = {}): HealthCheck {
  const attempts = options.attempts ?? 30;
  const intervalMs = options.intervalMs ?? 1000;
  return {
    name: 'berthd',
    run: async () => {
      let last = '';
      for (let i = 0; i < attempts; i++) {
        const r = await ping(socketPath, 5000);
        if (r.ok) return { ok: true, detail: r.detail };
        last = r.detail;
        if (i + 1 < attempts) await new Promise((res) => setTimeout(res, intervalMs));
      }
      return { ok: false, detail: `berthd did not answer on ${socketPath} after ${attempts} tries: ${last}` };
    },
  };
}
