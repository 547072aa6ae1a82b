import { createHash } from 'node:crypto';
import type { CallbackQuery, Message, Update } from 'node-telegram-bot-api';
import { handleAdminCallback, handleAdminCommand, handleVipCallback, showVipMenu, ADMIN_COMMANDS } from './admin';
import { label, t } from './i18n';
import { newToken } from './identity';
import {
  ACCENT_PRESETS,
  AGE_RANGES,
  CONSENTED_STEPS,
  GENDERS,
  REPORT_REASONS,
  isLanguage,
  type Prompt,
  type ReportReason,
} from './model';
import { calibrationPrompt, offerNextPrompt } from './prompts';
import { button, Turn, type ConversationDeps, type Keyboard } from './turn';
import { handleVideoMessage, isVideoLike } from './video';

export const MAX_ACCENT_CHARS = 60;

/** Handles one Telegram update to the end: state saved, every message sent. */
export async function handleTelegramUpdate(update: Update, deps: ConversationDeps): Promise<void> {
  if ('callback_query' in update) return handleCallback(update.callback_query, deps);
  if ('message' in update) return handleMessage(update.message, deps);
  deps.log.info('ignored an update kind the bot does not use', { updateId: update.update_id });
}

async function handleMessage(message: Message, deps: ConversationDeps): Promise<void> {
  // Groups and channels are not for contributing: only private chats.
  if (!message.from || message.chat.type !== 'private') return;
  const turn = await Turn.load(message.from, message.chat.id, deps);
  const command = parseCommand(message.text ?? message.caption);

  if (turn.contributor.blocked && !turn.isAdmin) {
    turn.say('blocked');
  } else if (command) {
    await handleCommand(turn, command, message);
  } else if (isVideoLike(message)) {
    await handleVideoMessage(turn, message);
  } else if (message.text !== undefined) {
    await handleText(turn, message.text);
  } else {
    // Stickers, photos, voice and the like.
    turn.say(['calibration', 'recording'].includes(turn.contributor.step) ? 'wrongKindRecording' : 'useButtons');
  }
  await turn.commit();
}

export interface Command {
  name: string;
  args: string;
}

/** `/name@bot args`; the args keep their line breaks (sentences come one per line). */
export function parseCommand(text: string | undefined): Command | undefined {
  const match = /^\/([a-z_]+)(?:@\w+)?(?:[ \t]+|(?=\n)|$)([\s\S]*)$/i.exec(text?.trim() ?? '');
  return match ? { name: (match[1] ?? '').toLowerCase(), args: (match[2] ?? '').trim() } : undefined;
}

async function handleCommand(turn: Turn, command: Command, message: Message): Promise<void> {
  if (ADMIN_COMMANDS.includes(command.name)) return handleAdminCommand(turn, command, message);
  switch (command.name) {
    case 'start':
      if (!CONSENTED_STEPS.includes(turn.contributor.step)) turn.change({ step: 'language' });
      return continueConversation(turn);
    case 'lang':
      turn.sayText(t(turn.language, 'chooseLanguage'), languageKeyboard());
      return;
    case 'vip':
      if (!turn.isVip) return turn.say('vipOnly');
      return showVipMenu(turn);
    case 'help':
    default:
      turn.say('help');
  }
}

async function handleText(turn: Turn, text: string): Promise<void> {
  const { step, awaiting } = turn.contributor;
  if (step === 'accent') {
    const accent = text.trim();
    if (accent.length > MAX_ACCENT_CHARS) return turn.say('accentTooLong', { max: MAX_ACCENT_CHARS });
    turn.change({
      demographics: { ...turn.contributor.demographics, accent },
      step: 'calibration',
      awaiting: undefined,
    });
    return continueConversation(turn);
  }
  if (awaiting === 'custom_text' && turn.isVip) {
    const promptText = text.trim();
    const prompt: Prompt = {
      token: newToken(),
      kind: 'custom',
      promptId: `custom-${createHash('sha256').update(promptText).digest('hex').slice(0, 12)}`,
      text: promptText,
      language: turn.language,
    };
    turn.change({ prompt, awaiting: undefined });
    turn.say('promptCustom', { text: promptText });
    return;
  }
  turn.say(['calibration', 'recording'].includes(step) ? 'wrongKindRecording' : 'useButtons');
}

export const languageKeyboard = (): Keyboard => [[button('עברית', 'lang:he'), button('English', 'lang:en')]];

/** Sends what the current step asks for. */
export async function continueConversation(turn: Turn): Promise<void> {
  const lang = turn.language;
  switch (turn.contributor.step) {
    case 'language':
      return turn.sayText(t(lang, 'chooseLanguage'), languageKeyboard());
    case 'consent':
      return turn.say('consent', {}, [
        [button(turn.t('consentYes'), 'consent:yes')],
        [button(turn.t('consentNo'), 'consent:no')],
      ]);
    case 'adult':
      return turn.say('adult', {}, [
        [button(turn.t('adultYes'), 'adult:yes')],
        [button(turn.t('adultNo'), 'adult:no')],
      ]);
    case 'gender':
      return turn.say(
        'askGender',
        {},
        GENDERS.map((code) => [button(label(lang, 'gender', code), `gender:${code}`)]),
      );
    case 'age_range':
      return turn.say('askAgeRange', {}, [AGE_RANGES.map((code) => button(code, `age:${code}`))]);
    case 'accent':
      return turn.say('askAccent', {}, [
        ...ACCENT_PRESETS[lang].map((code) => [button(code, `accent:${code}`)]),
        [button(turn.t('accentTypeOwn'), 'accent:own')],
      ]);
    case 'calibration':
      turn.change({ prompt: calibrationPrompt(turn) });
      return turn.say('calibration');
    case 'recording':
      return offerNextPrompt(turn);
    case 'declined':
      return turn.say('declined');
    case 'ineligible':
      return turn.say('ineligible');
    case 'finished':
      return turn.say('capReached', { max: turn.deps.settings.maxRecordingsPerContributor });
  }
}

async function handleCallback(query: CallbackQuery, deps: ConversationDeps): Promise<void> {
  let answer: string | undefined;
  let answered = false;
  try {
    const chatId = query.message?.chat.id ?? query.from.id;
    const turn = await Turn.load(query.from, chatId, deps);
    if (turn.contributor.blocked && !turn.isAdmin) {
      answer = turn.t('blocked');
    } else {
      const handled = await dispatchCallback(turn, (query.data ?? '').split(':'));
      if (handled) {
        await removeKeyboard(query, deps);
      } else {
        answer = turn.t('staleButton');
        deps.log.info('ignored a stale or unknown button', { data: query.data });
      }
    }
    await turn.commit();
    answered = true;
    await deps.api.answerCallbackQuery({ callback_query_id: query.id, ...(answer ? { text: answer } : {}) });
  } finally {
    // Telegram shows a spinner until a callback is answered, even when handling failed.
    if (!answered) await deps.api.answerCallbackQuery({ callback_query_id: query.id }).catch(() => undefined);
  }
}

/** Applies a button press; false when the button is stale or unknown (nothing changes). */
async function dispatchCallback(turn: Turn, [action = '', ...args]: string[]): Promise<boolean> {
  const { contributor } = turn;
  const step = contributor.step;
  const [arg = '', arg2 = ''] = args;
  switch (action) {
    case 'lang': {
      if (!isLanguage(arg)) return false;
      turn.change({ language: arg, ...(step === 'language' ? { step: 'consent' as const } : {}) });
      turn.say('languageSet');
      if (step === 'recording' && contributor.prompt?.kind === 'sentence') turn.change({ prompt: undefined });
      await continueConversation(turn);
      return true;
    }
    case 'consent':
      if (step !== 'consent') return false;
      turn.change({ step: arg === 'yes' ? 'adult' : 'declined' });
      await continueConversation(turn);
      return true;
    case 'adult':
      if (step !== 'adult') return false;
      if (arg === 'yes') turn.change({ step: 'gender', consentedAt: turn.deps.clock.now().toISOString() });
      else turn.change({ step: 'ineligible' });
      await continueConversation(turn);
      return true;
    case 'gender':
      if (step !== 'gender' || !(GENDERS as readonly string[]).includes(arg)) return false;
      turn.change({ step: 'age_range', demographics: { ...contributor.demographics, gender: arg } });
      await continueConversation(turn);
      return true;
    case 'age':
      if (step !== 'age_range' || !(AGE_RANGES as readonly string[]).includes(arg)) return false;
      turn.change({ step: 'accent', demographics: { ...contributor.demographics, ageRange: arg } });
      await continueConversation(turn);
      return true;
    case 'accent':
      if (step !== 'accent') return false;
      if (arg === 'own') {
        turn.change({ awaiting: 'accent_text' });
        turn.say('accentAskText');
        return true;
      }
      if (!ACCENT_PRESETS[turn.language].includes(arg)) return false;
      turn.change({ step: 'calibration', demographics: { ...contributor.demographics, accent: arg } });
      await continueConversation(turn);
      return true;
    case 'skip':
    case 'report':
    case 'reason': {
      const prompt = contributor.prompt;
      if (step !== 'recording' || prompt?.kind !== 'sentence' || prompt.token !== arg) return false;
      if (action === 'report') {
        turn.say(
          'reportAsk',
          {},
          REPORT_REASONS.map((code) => [button(label(turn.language, 'reason', code), `reason:${arg}:${code}`)]),
        );
        return true;
      }
      if (action === 'reason' && !(REPORT_REASONS as readonly string[]).includes(arg2)) return false;
      await turn.deps.sentences.increment(
        prompt.promptId,
        action === 'skip' ? 'skips' : 'reports',
        action === 'reason' ? (arg2 as ReportReason) : undefined,
      );
      turn.change({ doneSentenceIds: [...contributor.doneSentenceIds, prompt.promptId], prompt: undefined });
      if (action === 'reason') turn.say('reportThanks');
      await offerNextPrompt(turn);
      return true;
    }
    case 'vip':
      return handleVipCallback(turn, args);
    case 'clear':
      return handleAdminCallback(turn, args);
    default:
      return false;
  }
}

async function removeKeyboard(query: CallbackQuery, deps: ConversationDeps): Promise<void> {
  const message = query.message;
  if (!message) return;
  // Best effort: the message may be too old to edit, or already without buttons.
  await deps.api
    .editMessageReplyMarkup({
      chat_id: message.chat.id,
      message_id: message.message_id,
      reply_markup: { inline_keyboard: [] },
    })
    .catch((error: unknown) => deps.log.info('could not remove a keyboard', { error: String(error) }));
}
