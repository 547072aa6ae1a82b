import { createHash } from 'node:crypto';
import type { CallbackQuery, Message, Update } from 'node-telegram-bot-api';
import { ADMIN_COMMANDS, handleAdminCallback, handleAdminCommand, handleVipCallback, showVipMenu } from './admin';
import { parseCommand, type Command } from './commands';
import { consentText, consentVersion } from './consent';
import { askToDelete, handleDeleteCallback, listMine } from './contributor-data';
import { label, t } from './i18n';
import { newToken } from './identity';
import {
  ACCENT_PRESETS,
  AGE_RANGES,
  CONSENTED_STEPS,
  GENDERS,
  REPORT_REASONS,
  UNDISCLOSED,
  isLanguage,
  isRejected,
  type Prompt,
  type ReportReason,
} from './model';
import { calibrationPrompt, offerNextPrompt, optionKeyboard, sayPrompt, showCurrentPrompt } from './prompts';
import { MAX_SENTENCE_CHARS } from './sentences';
import { button, Turn, type ConversationDeps, type Keyboard } from './turn';
import { handleVideoMessage, isVideoLike } from './video';

export const MAX_ACCENT_CHARS = 60;
/** Custom text is a sentence like any other: the same length limit (and it keeps S3 metadata under 2 KB). */
export const MAX_CUSTOM_TEXT_CHARS = MAX_SENTENCE_CHARS;

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
    await notWhatWasAsked(turn);
  }
  await turn.commit();
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
    case 'mine':
      return listMine(turn);
    case 'delete':
      return askToDelete(turn);
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
    if (promptText.length > MAX_CUSTOM_TEXT_CHARS) {
      return turn.say('customTooLong', { max: MAX_CUSTOM_TEXT_CHARS, length: promptText.length });
    }
    const prompt: Prompt = {
      token: newToken(),
      kind: 'custom',
      promptId: `custom-${createHash('sha256').update(promptText).digest('hex').slice(0, 12)}`,
      text: promptText,
      language: turn.language,
    };
    turn.change({ awaiting: undefined });
    turn.showPrompt(prompt);
    return sayPrompt(turn, prompt);
  }
  return notWhatWasAsked(turn);
}

/** Says what the bot needs instead, and asks the current question again with its buttons. */
async function notWhatWasAsked(turn: Turn): Promise<void> {
  const step = turn.contributor.step;
  if (step === 'calibration' || step === 'recording') return turn.say('wrongKindRecording');
  if (['language', 'consent', 'adult', 'gender', 'age_range', 'accent'].includes(step)) turn.say('answerWithButtons');
  return continueConversation(turn);
}

export const languageKeyboard = (): Keyboard => [[button('עברית', 'lang:he'), button('English', 'lang:en')]];

/** Sends what the current step asks for. */
export async function continueConversation(turn: Turn): Promise<void> {
  const lang = turn.language;
  const { settings } = turn.deps;
  switch (turn.contributor.step) {
    case 'language':
      return turn.sayText(t(lang, 'chooseLanguage'), languageKeyboard());
    case 'consent':
      return turn.sayText(consentText(lang, settings.consent), [
        [button(turn.t('consentYes'), 'consent:yes')],
        [button(turn.t('consentNo'), 'consent:no')],
      ]);
    case 'adult':
      return turn.say('adult', {}, [
        [button(turn.t('adultYes'), 'adult:yes')],
        [button(turn.t('adultNo'), 'adult:no')],
      ]);
    case 'gender':
      return turn.say('askGender', {}, optionKeyboard(turn, 'gender', GENDERS, 'gender'));
    case 'age_range': {
      const ranges = AGE_RANGES.filter((code) => code !== UNDISCLOSED);
      return turn.say('askAgeRange', {}, [
        ranges.map((code) => button(code, `age:${code}`)),
        [button(label(lang, 'age', UNDISCLOSED), `age:${UNDISCLOSED}`)],
      ]);
    }
    case 'accent':
      return turn.say('askAccent', {}, [
        ...optionKeyboard(turn, 'accent', ACCENT_PRESETS[lang], 'accent'),
        [button(turn.t('accentTypeOwn'), 'accent:own')],
        [button(label(lang, 'accent', UNDISCLOSED), `accent:${UNDISCLOSED}`)],
      ]);
    case 'calibration':
      turn.showPrompt(calibrationPrompt(turn));
      return turn.say('calibration');
    case 'recording':
      return showCurrentPrompt(turn);
    case 'declined':
      return turn.say('declined');
    case 'ineligible':
      return turn.say('ineligible');
    case 'finished':
      return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
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
      if (step === 'recording' && contributor.prompt?.kind === 'sentence') turn.retirePrompt();
      await continueConversation(turn);
      return true;
    }
    case 'consent':
      if (step !== 'consent') return false;
      if (arg === 'yes') {
        turn.change({ step: 'adult' });
        await continueConversation(turn);
      } else {
        // Declining leaves nothing behind: the row goes, and the message says so.
        turn.discard();
        turn.say('declined');
      }
      return true;
    case 'adult':
      if (step !== 'adult') return false;
      if (arg === 'yes') {
        turn.change({
          step: 'gender',
          consentedAt: turn.deps.clock.now().toISOString(),
          consentVersion: consentVersion(turn.deps.settings.consent),
        });
        await continueConversation(turn);
      } else {
        turn.discard();
        turn.say('ineligible');
      }
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
      if (!ACCENT_PRESETS[turn.language].includes(arg) && arg !== UNDISCLOSED) return false;
      turn.change({ step: 'calibration', demographics: { ...contributor.demographics, accent: arg } });
      await continueConversation(turn);
      return true;
    case 'skip':
    case 'report':
    case 'reason':
      return handleSentenceButton(turn, action, arg, arg2);
    case 'again':
      return recordAgain(turn, arg);
    case 'vip':
      return handleVipCallback(turn, args);
    case 'clear':
      return handleAdminCallback(turn, args);
    case 'delete':
      return handleDeleteCallback(turn, args);
    default:
      return false;
  }
}

/** Skip, Report and a report's reason, valid only for the sentence on screen. */
async function handleSentenceButton(turn: Turn, action: string, token: string, reason: string): Promise<boolean> {
  const { contributor, deps } = turn;
  const prompt = contributor.prompt;
  if (contributor.step !== 'recording' || prompt?.kind !== 'sentence' || prompt.token !== token) return false;
  if (action === 'report') {
    turn.say(
      'reportAsk',
      {},
      REPORT_REASONS.map((code) => [button(label(turn.language, 'reason', code), `reason:${token}:${code}`)]),
    );
    return true;
  }
  if (action === 'reason') {
    if (!(REPORT_REASONS as readonly string[]).includes(reason)) return false;
    await deps.sentences.report(prompt.promptId, reason as ReportReason, deps.settings.reportsToRetire);
  } else {
    await deps.sentences.increment(prompt.promptId, 'skips');
  }
  turn.retirePrompt();
  turn.change({ doneSentenceIds: [...contributor.doneSentenceIds, prompt.promptId] });
  if (action === 'reason') turn.say('reportThanks');
  await offerNextPrompt(turn);
  return true;
}

/** "Record it again" under a rejected verdict: that take's sentence comes back on screen. */
async function recordAgain(turn: Turn, recordingId: string): Promise<boolean> {
  if (!['calibration', 'recording'].includes(turn.contributor.step)) return false;
  const recording = await turn.deps.recordings.get(recordingId);
  if (!recording || recording.userId !== turn.userId || !isRejected(recording.quality?.verdict)) return false;
  const prompt: Prompt = {
    token: newToken(),
    kind: recording.kind,
    promptId: recording.promptId,
    text: recording.promptText,
    language: recording.language,
  };
  turn.showPrompt(prompt);
  sayPrompt(turn, prompt);
  return true;
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
