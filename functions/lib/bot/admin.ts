import type { Message } from 'node-telegram-bot-api';
import type { Command } from './commands';
import { deleteRecordings } from './contributor-data';
import { formatManifest, manifestRows, splitCounts, type ExportFormat } from './export';
import { contributorHash, newToken } from './identity';
import { label } from './i18n';
import { LANGUAGES, LIGHTING_OPTIONS, LOCATION_OPTIONS, isLanguage, type Contributor } from './model';
import { calibrationPrompt } from './prompts';
import { MAX_SENTENCE_CHARS, newSentence, parseSentenceLines } from './sentences';
import { button, type Turn } from './turn';

export const ADMIN_COMMANDS = ['stats', 'export', 'sentences', 'block', 'unblock', 'clear_test_data'];

/** Sentence files are small text; anything larger is not a sentence list. */
const MAX_SENTENCE_FILE_BYTES = 1024 * 1024;

export async function handleAdminCommand(turn: Turn, command: Command, message: Message): Promise<void> {
  if (!turn.isAdmin) {
    turn.deps.log.warn('refused an admin command', { command: command.name, userId: turn.userId });
    return turn.say('adminOnly');
  }
  switch (command.name) {
    case 'stats':
      return turn.sayText(await statsText(turn));
    case 'export':
      return exportManifest(turn, command.args.toLowerCase().startsWith('tsv') ? 'tsv' : 'jsonl');
    case 'sentences':
      return addSentences(turn, command.args, message);
    case 'block':
      return setBlocked(turn, command.args, true);
    case 'unblock':
      return setBlocked(turn, command.args, false);
    case 'clear_test_data':
      return askToClearTestData(turn);
  }
}

async function statsText(turn: Turn): Promise<string> {
  const { contributors, recordings, sentences } = turn.deps;
  const [people, stored, allSentences] = await Promise.all([contributors.list(), recordings.list(), sentences.list()]);
  const kept = stored.filter((recording) => recording.status === 'stored');
  const minutes = kept.reduce((sum, recording) => sum + (recording.durationSec ?? 0), 0) / 60;
  const verdicts = new Map<string, number>();
  for (const recording of kept) {
    const verdict = recording.quality?.verdict ?? 'pending';
    verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
  }
  const lines = [
    turn.t('statsContributors', {
      count: people.length,
      consented: people.filter((person) => person.consentedAt).length,
      blocked: people.filter((person) => person.blocked).length,
    }),
    turn.t('statsRecordings', {
      count: kept.length,
      calibration: kept.filter((r) => r.kind === 'calibration').length,
      minutes: minutes.toFixed(1),
    }),
    turn.t('statsQuality', {
      verdicts:
        [...verdicts].map(([verdict, count]) => `${label(turn.language, 'verdict', verdict)} ${count}`).join(', ') ||
        turn.t('none'),
    }),
  ];
  for (const language of LANGUAGES) {
    const all = allSentences.filter((sentence) => sentence.language === language);
    const set = all.filter((sentence) => sentence.active);
    if (!set.length) continue;
    const counts = set.map((sentence) => sentence.recordings);
    lines.push(
      turn.t('statsSentences', {
        language,
        active: set.length,
        retired: all.length - set.length,
        recorded: counts.filter((count) => count > 0).length,
        fewest: Math.min(...counts),
        most: Math.max(...counts),
        reports: all.reduce((sum, sentence) => sum + sentence.reports, 0),
        skips: all.reduce((sum, sentence) => sum + sentence.skips, 0),
      }),
    );
  }
  return lines.join('\n');
}

async function exportManifest(turn: Turn, format: ExportFormat): Promise<void> {
  const { recordings, contributors, settings, clock } = turn.deps;
  const [all, people] = await Promise.all([recordings.list(), contributors.list()]);
  const manifest = manifestRows(all, {
    blockedUserIds: new Set(people.filter((person) => person.blocked).map((person) => person.userId)),
    minimum: settings.exportMinimum,
  });
  if (!manifest.rows.length) return turn.say('exportEmpty');
  const date = clock.now().toISOString().slice(0, 10);
  turn.sendDocument(
    `gorggle-manifest-${date}.${format}`,
    new TextEncoder().encode(formatManifest(manifest.rows, format)),
    turn.t('exportCaption', { count: manifest.rows.length, ...splitCounts(manifest.rows), ...manifest.excluded }),
  );
}

/** `/sentences add he [test]` then one sentence per line, in the message or a .txt attachment. */
async function addSentences(turn: Turn, args: string, message: Message): Promise<void> {
  const [firstLine = '', ...rest] = args.split(/\r?\n/);
  const [verb, language, marker] = firstLine.trim().split(/\s+/);
  if (verb !== 'add' || !isLanguage(language)) return turn.say('sentencesUsage');
  let text = rest.join('\n');
  if (message.document) {
    if ((message.document.file_size ?? 0) > MAX_SENTENCE_FILE_BYTES) return turn.say('sentencesUsage');
    const file = await turn.deps.api.getFile({ file_id: message.document.file_id });
    if (!file.file_path) return turn.say('sentencesUsage');
    const chunks: Buffer[] = [];
    for await (const chunk of await turn.deps.downloadFile(file.file_path))
      chunks.push(Buffer.from(chunk as Uint8Array));
    text = Buffer.concat(chunks).toString('utf8');
  }
  const { accepted, rejected } = parseSentenceLines(text);
  if (!accepted.length && !rejected.length) return turn.say('sentencesUsage');
  const now = turn.deps.clock.now();
  let added = 0;
  for (const line of accepted) {
    const sentence = newSentence(language, line, `telegram:${turn.userId}`, now, marker === 'test');
    if (await turn.deps.sentences.addIfAbsent(sentence)) added += 1;
  }
  turn.say('sentencesAdded', { added, existing: accepted.length - added, rejected: rejected.length });
}

async function setBlocked(turn: Turn, args: string, blocked: boolean): Promise<void> {
  const userId = args.trim();
  if (!/^\d{1,20}$/.test(userId)) return turn.say(blocked ? 'blockUsage' : 'unblockUsage');
  const { contributors, clock, settings } = turn.deps;
  const stored = await contributors.get(userId);
  if (!blocked && !stored?.contributor.blocked) return turn.say('notBlocked', { user: userId });
  const now = clock.now().toISOString();
  // Blocking someone the bot has not met yet keeps a row, so they stay blocked when they come.
  const contributor: Contributor = stored?.contributor ?? {
    userId,
    chatId: Number(userId),
    language: turn.language,
    step: 'language',
    contributorHash: contributorHash(userId, settings.hashSalt),
    demographics: {},
    capture: {},
    doneSentenceIds: [],
    recordings: 0,
    createdAt: now,
    updatedAt: now,
  };
  const changed = blocked ? { blocked: true, prompt: undefined } : { blocked: undefined };
  await contributors.save({ ...contributor, ...changed, updatedAt: now }, stored?.version);
  turn.say(blocked ? 'blockedUser' : 'unblockedUser', { user: userId });
}

async function askToClearTestData(turn: Turn): Promise<void> {
  const count = (await testData(turn)).total;
  const nonce = newToken();
  turn.change({ pendingClear: nonce });
  turn.say('clearConfirm', { count }, [
    [button(turn.t('clearYes'), `clear:${nonce}:yes`), button(turn.t('clearNo'), `clear:${nonce}:no`)],
  ]);
}

async function testData(turn: Turn) {
  const { contributors, recordings, sentences } = turn.deps;
  const [people, stored, allSentences] = await Promise.all([contributors.list(), recordings.list(), sentences.list()]);
  const selected = {
    recordings: stored.filter((recording) => recording.isTest === true),
    contributors: people.filter((person) => person.isTest === true),
    sentences: allSentences.filter((sentence) => sentence.isTest === true),
  };
  return {
    ...selected,
    total: selected.recordings.length + selected.contributors.length + selected.sentences.length,
  };
}

/** `clear:<nonce>:yes|no`, valid only for the confirmation this admin was last shown. */
export async function handleAdminCallback(turn: Turn, [nonce, choice]: string[]): Promise<boolean> {
  if (!turn.isAdmin || !nonce || turn.contributor.pendingClear !== nonce) return false;
  turn.change({ pendingClear: undefined });
  if (choice !== 'yes') {
    turn.say('clearCancelled');
    return true;
  }
  const { contributors, sentences } = turn.deps;
  const selected = await testData(turn);
  await deleteRecordings(turn.deps, selected.recordings);
  // The admin's own row is saved by this turn; deleting it here would be undone.
  const others = selected.contributors.filter((person) => person.userId !== turn.userId);
  for (const person of others) await contributors.delete(person.userId);
  for (const sentence of selected.sentences) await sentences.delete(sentence.sentenceId);
  if (turn.contributor.isTest) {
    turn.retirePrompt();
    turn.change({ doneSentenceIds: [], recordings: 0, earlierPrompts: [] });
  }
  turn.say('cleared', {
    recordings: selected.recordings.length,
    contributors: others.length,
    sentences: selected.sentences.length,
  });
  return true;
}

export function showVipMenu(turn: Turn): void {
  const { capture } = turn.contributor;
  turn.say(
    'vipMenu',
    {
      lighting: capture.lighting ? label(turn.language, 'lighting', capture.lighting) : turn.t('unset'),
      location: capture.location ? label(turn.language, 'location', capture.location) : turn.t('unset'),
    },
    [
      LIGHTING_OPTIONS.map((value) => button(`💡 ${label(turn.language, 'lighting', value)}`, `vip:lighting:${value}`)),
      LOCATION_OPTIONS.map((value) => button(`📍 ${label(turn.language, 'location', value)}`, `vip:location:${value}`)),
      [button(turn.t('vipCalibration'), 'vip:calibration'), button(turn.t('vipCustom'), 'vip:custom')],
    ],
  );
}

/** `vip:lighting:<v>`, `vip:location:<v>`, `vip:calibration`, `vip:custom`. */
export async function handleVipCallback(turn: Turn, [action, value = '']: string[]): Promise<boolean> {
  if (!turn.isVip || !['calibration', 'recording'].includes(turn.contributor.step)) return false;
  switch (action) {
    case 'lighting':
    case 'location': {
      const options: readonly string[] = action === 'lighting' ? LIGHTING_OPTIONS : LOCATION_OPTIONS;
      if (!options.includes(value)) return false;
      turn.change({ capture: { ...turn.contributor.capture, [action]: value } });
      turn.say('vipSet', {
        name: turn.t(action === 'lighting' ? 'vipLighting' : 'vipLocation'),
        value: label(turn.language, action, value),
      });
      return true;
    }
    case 'calibration':
      turn.change({ awaiting: undefined });
      turn.showPrompt(calibrationPrompt(turn));
      turn.say('calibration');
      return true;
    case 'custom':
      turn.change({ awaiting: 'custom_text' });
      turn.say('vipCustomAsk', { max: MAX_SENTENCE_CHARS });
      return true;
    default:
      return false;
  }
}
