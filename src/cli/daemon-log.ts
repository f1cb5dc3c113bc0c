/**
 * Structured logs: one JSON object per line on stderr (`time`, `level`, `msg`, then fields). Under
 * systemd (JOURNAL_STREAM set) each line is prefixed with its syslog priority (`<6>`), which journald
 * turns into PRIORITY; the JSON stays the MESSAGE so fields survive `journalctl -o cat`.
 */
import type { LogLevel } from './daemon-config.js';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };
const PRIORITY: Readonly<Record<LogLevel, number>> = { debug: 7, info: 6, warn: 4, error: 3 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly out?: { write(chunk: string): unknown };
  /** Prefix lines with `<priority>` for journald. @default JOURNAL_STREAM is set */
  readonly journald?: boolean;
  readonly now?: () => Date;
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.out ?? process.stderr;
  const journald = options.journald ?? (process.env.JOURNAL_STREAM !== undefined && process.env.JOURNAL_STREAM !== '');
  const now = options.now ?? (() => new Date());
  const min = RANK[options.level];
  const log = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (RANK[level] < min) return;
    const entry = { time: now().toISOString(), level, msg, ...fields };
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time: entry.time, level, msg, note: 'fields not serialisable' });
    }
    out.write(`${journald ? `<${PRIORITY[level]}>` : ''}${line}\n`);
  };
  return {
    log,
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
