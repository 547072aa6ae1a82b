/**
 * A small stand-in for the Telegram Bot API on 127.0.0.1: the real node-telegram-bot-api
 * talks to it through `apiRoot`. It answers the methods the bot uses, serves registered
 * files under /file/bot<token>/<path>, and records every call.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  /** Text of uploaded files (sendDocument), by field name. */
  files: Record<string, string>;
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

export class FakeTelegram {
  readonly calls: ApiCall[] = [];
  readonly downloads: string[] = [];
  private readonly files = new Map<string, RegisteredFile>();
  private server: Server | undefined;
  private nextMessageId = 1000;
  apiRoot = '';

  constructor(readonly token: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.route(request)
        .then(({ status, body, file }) => {
          if (file) {
            response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.size });
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
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Makes a file downloadable through getFile; `size` overrides what getFile reports. */
  registerFile(fileId: string, fileUniqueId: string, filePath: string, size?: number): RegisteredFile {
    const file = { fileId, fileUniqueId, path: filePath, size: size ?? statSync(filePath).size };
    this.files.set(fileId, file);
    return file;
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Messages sent to one chat, in order. */
  messagesTo(chatId: number): Array<{ text: string; buttons: string[] }> {
    return this.callsOf('sendMessage')
      .filter((call) => call.params.chat_id === chatId)
      .map((call) => ({
        text: String(call.params.text),
        buttons: (
          (call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined)
            ?.inline_keyboard ?? []
        )
          .flat()
          .map((button) => button.callback_data ?? ''),
      }));
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
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': request.headers['content-type'] ?? '' },
    }).formData();
    const entries: Array<[string, FormDataEntryValue]> = [];
    form.forEach((value, key) => entries.push([key, value]));
    const params: Record<string, unknown> = {};
    const files: Record<string, string> = {};
    for (const [key, value] of entries) {
      if (typeof value === 'string') params[key] = decodeField(value);
      else files[key] = await value.text();
    }
    this.calls.push({ method, params, files });
    return { status: 200, body: { ok: true, result: this.answer(method, params) } };
  }

  private answer(method: string, params: Record<string, unknown>): unknown {
    const chat = { id: Number(params.chat_id), type: 'private' };
    switch (method) {
      case 'sendMessage':
      case 'sendDocument':
        return { message_id: this.nextMessageId++, date: 0, chat, text: params.text };
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
        return { url: '', has_custom_certificate: false, pending_update_count: 0 };
      default:
        return true;
    }
  }
}
