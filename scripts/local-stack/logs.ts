/** One log file per component under <dataDir>/logs/, so a failing part is easy to read alone. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export interface ComponentLog {
  readonly file: string;
  readonly stream: WriteStream;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  close(): Promise<void>;
}

export interface LogOptions {
  /** Also print each line on the console, prefixed with the component name. */
  echo?: boolean;
}

export function createComponentLog(logDir: string, component: string, options: LogOptions = {}): ComponentLog {
  mkdirSync(logDir, { recursive: true });
  const file = path.join(logDir, `${component}.log`);
  const stream = createWriteStream(file, { flags: 'a' });
  // Every concurrent invocation of a function pipes its worker's stdout and stderr in here.
  stream.setMaxListeners(0);
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const line = `${new Date().toISOString()} ${level} ${message}${fields ? ` ${safeJson(fields)}` : ''}\n`;
    if (!stream.writableEnded) stream.write(line);
    if (options.echo) process.stderr.write(`[${component}] ${line}`);
  };
  return {
    file,
    stream,
    info: (message, fields) => write('INFO', message, fields),
    warn: (message, fields) => write('WARN', message, fields),
    error: (message, fields) => write('ERROR', message, fields),
    close: () =>
      new Promise<void>((resolve) => {
        if (stream.writableEnded) return resolve();
        stream.end(() => resolve());
      }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, inner: unknown) =>
      inner instanceof Error ? { name: inner.name, message: inner.message } : inner,
    );
  } catch {
    return String(value);
  }
}
