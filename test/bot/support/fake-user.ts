/**
 * A Telegram user in a private chat with the bot. Updates go through `deliver`: straight to
 * the webhook handler, or onto the fake Bot API's getUpdates queue for the polling bot.
 */
import path from 'node:path';
import type { FakeTelegram, SentMessage } from './fake-telegram';

let nextUpdateId = 1;
let nextMessageId = 1;

export interface VideoOptions {
  uniqueId: string;
  duration?: number;
  size?: number;
  kind?: 'video' | 'video_note' | 'document' | 'animation';
  /** Unix seconds the message was sent; by default the next whole second, as a reading is
   * sent at least a second after its prompt appeared. */
  date?: number;
  forwarded?: boolean;
  mimeType?: string;
}

export const nowSeconds = () => Math.ceil(Date.now() / 1000);

export class FakeUser<Reply = unknown> {
  constructor(
    private readonly telegram: FakeTelegram,
    private readonly deliver: (update: object) => Promise<Reply>,
    readonly id: number,
    readonly languageCode = 'he',
  ) {}

  private get from() {
    return { id: this.id, is_bot: false, first_name: `User${this.id}`, language_code: this.languageCode };
  }

  /** The update a message would be, without sending it. */
  messageUpdate(fields: object, date = nowSeconds()) {
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date,
        from: this.from,
        chat: { id: this.id, type: 'private' },
        ...fields,
      },
    };
  }

  send(fields: object, date?: number) {
    return this.deliver(this.messageUpdate(fields, date));
  }

  text(text: string) {
    return this.send({ text });
  }

  /** Ids of the button presses this user sent, to check that each was answered. */
  readonly callbackQueryIds: string[] = [];

  press(data: string) {
    const id = `cb-${nextUpdateId}`;
    this.callbackQueryIds.push(id);
    return this.deliver({
      update_id: nextUpdateId++,
      callback_query: {
        id,
        from: this.from,
        chat_instance: `ci-${this.id}`,
        data,
        message: { message_id: 1, date: nowSeconds(), chat: { id: this.id, type: 'private' } },
      },
    });
  }

  /** The message fields of `file` sent as a video; the fake Telegram serves its bytes through getFile. */
  videoFields(file: string, options: VideoOptions): object {
    const fileId = `file-${options.uniqueId}`;
    const registered = this.telegram.registerFile(fileId, options.uniqueId, file, options.size);
    const common = { file_id: fileId, file_unique_id: options.uniqueId, file_size: registered.size };
    const duration = options.duration ?? 3;
    const mimeType = options.mimeType ?? (file.endsWith('.mp4') ? 'video/mp4' : 'video/mpeg');
    const forwarded = options.forwarded
      ? {
          forward_origin: {
            type: 'user',
            date: 1_700_000_000,
            sender_user: { id: 1, is_bot: false, first_name: 'Someone' },
          },
        }
      : {};
    switch (options.kind ?? 'video') {
      case 'video_note':
        return { ...forwarded, video_note: { ...common, length: 240, duration } };
      case 'document':
        return { ...forwarded, document: { ...common, file_name: path.basename(file), mime_type: mimeType } };
      case 'animation':
        // Telegram sends a GIF as an animation and, for older clients, as a document too.
        return {
          ...forwarded,
          animation: {
            ...common,
            width: 320,
            height: 240,
            duration,
            file_name: 'clip.gif.mp4',
            mime_type: 'video/mp4',
          },
          document: { ...common, file_name: 'clip.gif.mp4', mime_type: 'video/mp4' },
        };
      default:
        return { ...forwarded, video: { ...common, width: 360, height: 288, duration, mime_type: mimeType } };
    }
  }

  video(file: string, options: VideoOptions) {
    return this.send(this.videoFields(file, options), options.date);
  }

  messages(): SentMessage[] {
    return this.telegram.messagesTo(this.id);
  }

  lastMessage(): SentMessage {
    return this.messages().at(-1)!;
  }

  /** callback_data of the last message that had a button starting with `prefix`. */
  button(prefix: string): string {
    for (const message of this.messages().reverse()) {
      const found = message.buttons.find((data) => data.startsWith(prefix));
      if (found) return found;
    }
    throw new Error(`no button ${prefix}… in ${JSON.stringify(this.messages().map((m) => m.text))}`);
  }
}
