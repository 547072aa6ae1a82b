import type { Readable } from 'node:stream';
import type { Api, InlineKeyboardButton, User } from 'node-telegram-bot-api';
import { InputFile } from 'node-telegram-bot-api';
import type { Clock } from '../ports';
import type { ConsentTerms } from './consent';
import { contributorHash } from './identity';
import { t, type MessageKey } from './i18n';
import { DEFAULT_LANGUAGE, type Contributor, type Prompt } from './model';
import type { ContributorStore, JobPurger, RecordingStore, SentenceStore, VideoStore } from './ports';

/** The Bot API methods the conversation uses. */
export type TelegramApi = Pick<
  Api,
  'sendMessage' | 'answerCallbackQuery' | 'editMessageReplyMarkup' | 'getFile' | 'sendDocument'
>;

/** Verdicts an export includes at the least: accepted only, or unverified ones too, or every take. */
export const EXPORT_MINIMUMS = ['accepted', 'unverified', 'any'] as const;
export type ExportMinimum = (typeof EXPORT_MINIMUMS)[number];

export interface BotSettings {
  uploadsBucket: string;
  /** Secret salt of contributor hashes and recording ids. */
  hashSalt: string;
  adminIds: readonly string[];
  vipIds: readonly string[];
  /** Users whose data is marked as test data (and may be cleared). */
  testIds: readonly string[];
  minVideoSec: number;
  maxVideoSec: number;
  maxRecordingsPerContributor: number;
  /** A sentence reported this many times is no longer offered. */
  reportsToRetire: number;
  exportMinimum: ExportMinimum;
  consent: ConsentTerms;
}

export interface BotLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface ConversationDeps {
  api: TelegramApi;
  /** Streams a file Telegram's getFile pointed at. */
  downloadFile(filePath: string): Promise<Readable>;
  contributors: ContributorStore;
  sentences: SentenceStore;
  recordings: RecordingStore;
  videos: VideoStore;
  jobs: JobPurger;
  clock: Clock;
  log: BotLog;
  settings: BotSettings;
}

export type Keyboard = InlineKeyboardButton[][];

export const button = (text: string, data: string): InlineKeyboardButton => ({ text, callback_data: data });

/** How many earlier prompts a contributor's row remembers, to file late videos under them. */
export const EARLIER_PROMPTS_KEPT = 3;

type Outgoing =
  | { kind: 'text'; text: string; keyboard?: Keyboard }
  | { kind: 'document'; fileName: string; bytes: Uint8Array; caption: string };

/**
 * One update's work on one contributor: changes to the row and messages to send. The row is
 * saved before anything is sent, so a retried update never repeats a state change twice.
 */
export class Turn {
  private readonly outbox: Outgoing[] = [];
  private dirty: boolean;
  private discarded = false;

  private constructor(
    readonly contributor: Contributor,
    private readonly version: number | undefined,
    readonly chatId: number,
    readonly deps: ConversationDeps,
  ) {
    this.dirty = version === undefined;
  }

  static async load(user: User, chatId: number, deps: ConversationDeps): Promise<Turn> {
    const userId = String(user.id);
    const stored = await deps.contributors.get(userId);
    if (stored) {
      const turn = new Turn(stored.contributor, stored.version, chatId, deps);
      if (stored.contributor.chatId !== chatId) turn.change({ chatId });
      return turn;
    }
    const now = deps.clock.now().toISOString();
    const isTest = deps.settings.testIds.includes(userId);
    const contributor: Contributor = {
      userId,
      chatId,
      language: DEFAULT_LANGUAGE,
      step: 'language',
      contributorHash: contributorHash(userId, deps.settings.hashSalt),
      demographics: {},
      capture: {},
      doneSentenceIds: [],
      recordings: 0,
      ...(isTest ? { isTest: true } : {}),
      createdAt: now,
      updatedAt: now,
    };
    return new Turn(contributor, undefined, chatId, deps);
  }

  get userId(): string {
    return this.contributor.userId;
  }

  get language() {
    return this.contributor.language;
  }

  get isAdmin(): boolean {
    return this.deps.settings.adminIds.includes(this.userId);
  }

  get isVip(): boolean {
    return this.deps.settings.vipIds.includes(this.userId) || this.isAdmin;
  }

  change(patch: Partial<Contributor>): void {
    Object.assign(this.contributor, patch);
    this.dirty = true;
  }

  /** Puts `prompt` on screen from now; the one it replaces is remembered for late videos. */
  showPrompt(prompt: Prompt): void {
    this.retirePrompt();
    const { endedAt: _ended, ...shown } = prompt;
    this.change({ prompt: { ...shown, shownAt: this.deps.clock.now().toISOString() } });
  }

  /** Takes the current prompt off screen, remembered (with when it left) for videos sent before. */
  retirePrompt(): void {
    const current = this.contributor.prompt;
    if (!current) return;
    const ended = { ...current, endedAt: this.deps.clock.now().toISOString() };
    const earlier = [ended, ...(this.contributor.earlierPrompts ?? [])].slice(0, EARLIER_PROMPTS_KEPT);
    this.change({ prompt: undefined, earlierPrompts: earlier });
  }

  /** Deletes the contributor's row at commit instead of saving it (declined, withdrawn). */
  discard(): void {
    this.discarded = true;
  }

  t(key: MessageKey, params?: Record<string, string | number>): string {
    return t(this.language, key, params);
  }

  say(key: MessageKey, params?: Record<string, string | number>, keyboard?: Keyboard): void {
    this.sayText(this.t(key, params), keyboard);
  }

  sayText(text: string, keyboard?: Keyboard): void {
    this.outbox.push({ kind: 'text', text, ...(keyboard ? { keyboard } : {}) });
  }

  sendDocument(fileName: string, bytes: Uint8Array, caption: string): void {
    this.outbox.push({ kind: 'document', fileName, bytes, caption });
  }

  /** Saves (or deletes) the row if it changed, then sends the queued messages in order. */
  async commit(): Promise<void> {
    if (this.discarded) {
      if (this.version !== undefined) await this.deps.contributors.delete(this.userId);
    } else if (this.dirty) {
      this.contributor.updatedAt = this.deps.clock.now().toISOString();
      await this.deps.contributors.save(this.contributor, this.version);
      this.dirty = false;
    }
    for (const message of this.outbox.splice(0)) {
      if (message.kind === 'text') {
        await this.deps.api.sendMessage({
          chat_id: this.chatId,
          text: message.text,
          ...(message.keyboard ? { reply_markup: { inline_keyboard: message.keyboard } } : {}),
        });
      } else {
        await this.deps.api.sendDocument({
          chat_id: this.chatId,
          document: new InputFile(message.bytes, { filename: message.fileName, contentType: 'text/plain' }),
          caption: message.caption,
        });
      }
    }
  }
}
