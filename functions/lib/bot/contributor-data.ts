import { label } from './i18n';
import { contributorPrefix, newToken } from './identity';
import type { Recording } from './model';
import type { ConversationDeps } from './turn';
import { button, type Turn } from './turn';

/** How many recordings /mine lists, newest first. */
export const MINE_LIMIT = 15;

const newestFirst = (a: Recording, b: Recording) => b.createdAt.localeCompare(a.createdAt);

/** /mine: the contributor's stored recordings with their verdicts. */
export async function listMine(turn: Turn): Promise<void> {
  const stored = (await turn.deps.recordings.listByUser(turn.userId))
    .filter((recording) => recording.status === 'stored')
    .sort(newestFirst);
  if (!stored.length) return turn.say('mineEmpty');
  const lines = [turn.t('mineHeader', { count: stored.length })];
  stored.slice(0, MINE_LIMIT).forEach((recording, index) => {
    lines.push(
      turn.t('mineLine', {
        index: index + 1,
        prompt: recording.promptText,
        verdict: label(turn.language, 'verdict', recording.quality?.verdict ?? 'pending'),
      }),
    );
  });
  if (stored.length > MINE_LIMIT) lines.push(turn.t('mineMore', { count: stored.length - MINE_LIMIT }));
  turn.sayText(lines.join('\n'));
}

/** /delete: asks first; the buttons carry a nonce so an old confirmation cannot fire later. */
export async function askToDelete(turn: Turn): Promise<void> {
  const recordings = await turn.deps.recordings.listByUser(turn.userId);
  if (!recordings.length && !turn.contributor.consentedAt) {
    turn.discard();
    return turn.say('deleteNothing');
  }
  const nonce = newToken();
  turn.change({ pendingDelete: nonce });
  turn.say('deleteConfirm', { count: recordings.filter((recording) => recording.status === 'stored').length }, [
    [button(turn.t('deleteYes'), `delete:${nonce}:yes`)],
    [button(turn.t('deleteNo'), `delete:${nonce}:no`)],
  ]);
}

/** `delete:<nonce>:yes|no`, valid only for the confirmation this contributor was last shown. */
export async function handleDeleteCallback(turn: Turn, [nonce, choice]: string[]): Promise<boolean> {
  if (!nonce || turn.contributor.pendingDelete !== nonce) return false;
  if (choice !== 'yes') {
    turn.change({ pendingDelete: undefined });
    turn.say('deleteCancelled');
    return true;
  }
  const count = await deleteRecordings(turn.deps, await turn.deps.recordings.listByUser(turn.userId), {
    prefix: contributorPrefix(turn.contributor.contributorHash),
  });
  turn.discard();
  turn.say('deleted', { count });
  return true;
}

/**
 * Removes recordings and everything made from them: every version of their objects, their
 * pipeline jobs (files and rows), their place in sentence coverage, then their rows. Rows go
 * last, so a retry after a failure finds what is left to do.
 */
export async function deleteRecordings(
  deps: Pick<ConversationDeps, 'videos' | 'jobs' | 'sentences' | 'recordings'>,
  recordings: readonly Recording[],
  scope: { prefix?: string } = {},
): Promise<number> {
  if (scope.prefix) await deps.videos.purge(scope.prefix);
  for (const recording of recordings) {
    if (!scope.prefix) await deps.videos.purge(recording.key);
    const jobIds = new Set([recording.jobId, recording.quality?.jobId].filter((id): id is string => Boolean(id)));
    for (const jobId of jobIds) await deps.jobs.purgeJob(jobId);
    if (recording.kind === 'sentence') await deps.sentences.uncountRecording(recording.promptId, recording.recordingId);
  }
  for (const recording of recordings) await deps.recordings.delete(recording.recordingId);
  return recordings.filter((recording) => recording.status === 'stored').length;
}
