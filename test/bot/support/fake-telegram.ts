/**
 * A small stand-in for the Telegram Bot API on 127.0.0.1: the real node-telegram-bot-api
 * talks to it through `apiRoot`. It answers the methods the bot uses, serves registered
 * files under /file/bot<token>/<path>, hands queued updates to getUpdates (long polling),
 * keeps a webhook setting, records every call, and can fail a method on purpose.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  /** Text of uploaded files (sendDocument), by field name. */
  files: Record<string, string>;
  /** Answered with an error by failNext. */
  failed?: boolean;
}

export interface SentMessage {
  text: string;
  /** callback_data of each button, row by row flattened. */
  buttons: string[];
  /** The label of each button, in the same order. */
  labels: string[];
}

interface RegisteredFile {
  fileId: string;
  fileUniqueId: string;
  path: string;
  size: number;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON-looking fields (reply_markup) come back as objects, numbers as numbers. */
function decodeField(value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

type Keyboard = { inline_keyboard?: Array<Array<{ text?: string; callback_data?: string }>> };

export class FakeTelegram {
  readonly calls: ApiCall[] = [];
  readonly downloads: string[] = [];
  /** The webhook URL getWebhookInfo reports ('' for none). */
  webhookUrl = '';
  private readonly files = new Map<string, RegisteredFile>();
  private readonly failures = new Map<string, number>();
  private readonly updates: Array<{ update_id: number }> = [];
  private readonly waiters = new Set<() => void>();
  private server: Server | undefined;
  private nextMessageId = 1000;
  apiRoot = '';

  constructor(readonly token: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.route(request)
        .then(({ status, body, file }) => {
          if (file) {
            // The real length: `size` is only what getFile (and the sender) declared.
            const length = statSync(file.path).size;
            response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': length });
            createReadStream(file.path).pipe(response);
            return;
          }
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        })
        .catch((error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ ok: false, error_code: 500, description: String(error) }));
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.apiRoot = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Makes a file downloadable through getFile; `size` overrides what getFile reports. */
  registerFile(fileId: string, fileUniqueId: string, filePath: string, size?: number): RegisteredFile {
    const file = { fileId, fileUniqueId, path: filePath, size: size ?? statSync(filePath).size };
    this.files.set(fileId, file);
    return file;
  }

  /** The next `times` calls of `method` fail with a 500, as Telegram does when it has trouble. */
  failNext(method: string, times = 1): void {
    this.failures.set(method, times);
  }

  /** Queues an update for getUpdates (the bot's long polling). */
  pushUpdate(update: { update_id: number }): void {
    this.updates.push(update);
    for (const wake of this.waiters) wake();
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method && !call.failed);
  }

  /** Messages delivered to one chat, in order. */
  messagesTo(chatId: number): SentMessage[] {
    return this.callsOf('sendMessage')
      .filter((call) => call.params.chat_id === chatId)
      .map((call) => {
        const keyboard = ((call.params.reply_markup as Keyboard | undefined)?.inline_keyboard ?? []).flat();
        return {
          text: String(call.params.text),
          buttons: keyboard.map((button) => button.callback_data ?? ''),
          labels: keyboard.map((button) => button.text ?? ''),
        };
      });
  }

  reset(): void {
    this.calls.length = 0;
    this.downloads.length = 0;
  }

  private async route(request: IncomingMessage): Promise<{ status: number; body?: unknown; file?: RegisteredFile }> {
    const url = new URL(request.url ?? '/', this.apiRoot);
    const filePrefix = `/file/bot${this.token}/`;
    if (request.method === 'GET' && url.pathname.startsWith(filePrefix)) {
      const filePath = decodeURIComponent(url.pathname.slice(filePrefix.length));
      const file = [...this.files.values()].find((candidate) => `videos/${candidate.fileId}` === filePath);
      this.downloads.push(filePath);
      return file
        ? { status: 200, file }
        : { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!match || match[1] !== this.token)
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    const method = match[2]!;
    const body = await readBody(request);
    const params: Record<string, unknown> = {};
    const files: Record<string, string> = {};
    if ((request.headers['content-type'] ?? '').startsWith('application/json')) {
      Object.assign(params, body.length ? (JSON.parse(body.toString('utf8')) as object) : {});
    } else {
      const form = await new Response(new Uint8Array(body), {
        headers: { 'content-type': request.headers['content-type'] ?? '' },
      }).formData();
      const entries: Array<[string, FormDataEntryValue]> = [];
      form.forEach((value, key) => entries.push([key, value]));
      for (const [key, value] of entries) {
        if (typeof value === 'string') params[key] = decodeField(value);
        else files[key] = await value.text();
      }
    }
    const failuresLeft = this.failures.get(method) ?? 0;
    if (failuresLeft > 0) {
      this.failures.set(method, failuresLeft - 1);
      this.calls.push({ method, params, files, failed: true });
      return { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } };
    }
    this.calls.push({ method, params, files });
    if (method === 'getUpdates') return { status: 200, body: { ok: true, result: await this.nextUpdates(params) } };
    return { status: 200, body: { ok: true, result: this.answer(method, params) } };
  }

  /** Updates from `offset` on; waits up to `timeout` seconds for one, as long polling does. */
  private async nextUpdates(params: Record<string, unknown>): Promise<unknown[]> {
    const offset = Number(params.offset ?? 0);
    // Telegram forgets updates below the offset the bot confirmed.
    while (this.updates.length && this.updates[0]!.update_id < offset) this.updates.shift();
    if (!this.updates.length && Number(params.timeout ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Number(params.timeout) * 1000);
        this.waiters.add(wake);
      });
    }
    return this.updates.slice(0, Number(params.limit ?? 100));
  }

  private answer(method: string, params: Record<string, unknown>): unknown {
    const chat = { id: Number(params.chat_id), type: 'private' };
    switch (method) {
      case 'sendMessage':
      case 'sendDocument':
        return { message_id: this.nextMessageId++, date: Math.floor(Date.now() / 1000), chat, text: params.text };
      case 'getFile': {
        const file = this.files.get(String(params.file_id));
        if (!file) return { file_id: params.file_id, file_unique_id: 'missing' };
        return {
          file_id: file.fileId,
          file_unique_id: file.fileUniqueId,
          file_size: file.size,
          file_path: `videos/${file.fileId}`,
        };
      }
      case 'getWebhookInfo':
        return { url: this.webhookUrl, has_custom_certificate: false, pending_update_count: this.updates.length };
      case 'deleteWebhook':
        this.webhookUrl = '';
        return true;
      case 'setWebhook':
        this.webhookUrl = String(params.url ?? '');
        return true;
      case 'getMe':
        return {
          id: Number(this.token.split(':')[0]),
          is_bot: true,
          first_name: 'Gorggle test bot',
          username: 'gorggle_test_bot',
        };
      default:
        return true;
    }
  }
}
