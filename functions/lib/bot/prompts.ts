import { label, t } from './i18n';
import { newToken } from './identity';
import { isRejected, type Prompt, type Recording } from './model';
import { pickSentence } from './sentences';
import { button, type Keyboard, type Turn } from './turn';

export function calibrationPrompt(turn: Turn): Prompt {
  return {
    token: newToken(),
    kind: 'calibration',
    promptId: 'calibration',
    text: t(turn.language, 'calibrationPrompt'),
    language: turn.language,
  };
}

/** Takes that count toward the cap: stored sentence or custom readings the check did not reject. */
export function countedTakes(recordings: readonly Recording[]): number {
  return recordings.filter(
    (recording) =>
      recording.status === 'stored' && recording.kind !== 'calibration' && !isRejected(recording.quality?.verdict),
  ).length;
}

export async function capReached(turn: Turn): Promise<boolean> {
  const max = turn.deps.settings.maxRecordingsPerContributor;
  return countedTakes(await turn.deps.recordings.listByUser(turn.userId)) >= max;
}

const sentenceKeyboard = (turn: Turn, prompt: Prompt): Keyboard => [
  [button(turn.t('skip'), `skip:${prompt.token}`), button(turn.t('report'), `report:${prompt.token}`)],
];

/** Says what the prompt asks for, with its buttons (a sentence can be skipped or reported). */
export function sayPrompt(turn: Turn, prompt: Prompt): void {
  switch (prompt.kind) {
    case 'calibration':
      return turn.say('calibration');
    case 'custom':
      return turn.say('promptCustom', { text: prompt.text });
    case 'sentence':
      return turn.say('prompt', { text: prompt.text }, sentenceKeyboard(turn, prompt));
  }
}

/** Shows the prompt on screen again, or the next one when there is none. */
export async function showCurrentPrompt(turn: Turn): Promise<void> {
  const prompt = turn.contributor.prompt;
  if (prompt) return sayPrompt(turn, prompt);
  if (turn.contributor.step === 'calibration') {
    turn.showPrompt(calibrationPrompt(turn));
    return turn.say('calibration');
  }
  return offerNextPrompt(turn);
}

/** The least-recorded sentence this contributor has not done yet, with Skip and Report. */
export async function offerNextPrompt(turn: Turn): Promise<void> {
  const { settings, sentences } = turn.deps;
  if (await capReached(turn)) {
    turn.retirePrompt();
    turn.change({ step: 'finished' });
    return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
  }
  const sentence = pickSentence(
    await sentences.listActive(turn.language),
    turn.contributor.doneSentenceIds,
    turn.contributor.contributorHash,
  );
  if (!sentence) {
    turn.retirePrompt();
    return turn.say('noSentences');
  }
  const prompt: Prompt = {
    token: newToken(),
    kind: 'sentence',
    promptId: sentence.sentenceId,
    text: sentence.text,
    language: sentence.language,
  };
  turn.showPrompt(prompt);
  sayPrompt(turn, prompt);
}

/** The labels of option codes as buttons, one per row. */
export const optionKeyboard = (turn: Turn, prefix: string, codes: readonly string[], data: string): Keyboard =>
  codes.map((code) => [button(label(turn.language, prefix, code), `${data}:${code}`)]);
