import { Transform, type Readable } from 'node:stream';
import type { Message } from 'node-telegram-bot-api';
import { deriveJobId } from '../pipeline/start-pipeline';
import { TelegramFileTooLargeError } from './errors';
import { seconds } from './i18n';
import { contributionKey, recordingIdFor } from './identity';
import { CONSENTED_STEPS, TRANSCRIBE_LANGUAGE, type Contributor, type Prompt, type Recording } from './model';
import { calibrationPrompt, capReached, offerNextPrompt, showCurrentPrompt } from './prompts';
import type { Turn } from './turn';

/** getFile refuses files over 20 MB: https://core.telegram.org/bots/api#getfile */
export const TELEGRAM_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

const EXTENSION_BY_MIME: Record<string, string> = {
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'video/x-matroska': 'mkv',
  'video/mpeg': 'mpg',
  'video/x-msvideo': 'avi',
  'video/x-m4v': 'm4v',
};
const VIDEO_EXTENSIONS = new Set(Object.values(EXTENSION_BY_MIME).concat(['mpeg']));

interface IncomingVideo {
  mediaType: Recording['mediaType'];
  fileId: string;
  fileUniqueId: string;
  fileSize?: number;
  /** Declared by the sender's client, and absent for files: the pipeline measures the real one. */
  durationSec?: number;
  width?: number;
  height?: number;
  mimeType: string;
  extension: string;
}

/** GIFs arrive as an `animation` (with a `document` beside it): moving pictures without sound. */
export const isVideoLike = (message: Message) =>
  Boolean(message.video || message.video_note || message.document || message.animation);

/** Someone else's recording passed on: not this contributor's face, nor their consent. */
export function isForwarded(message: Message): boolean {
  // forward_origin since Bot API 7.0; the older fields still arrive from some clients.
  const fields = message as unknown as Record<string, unknown>;
  return [
    'forward_origin',
    'forward_from',
    'forward_from_chat',
    'forward_sender_name',
    'forward_date',
    'is_automatic_forward',
  ].some((field) => Boolean(fields[field]));
}

const extensionOfName = (name: string | undefined) => /\.([a-z0-9]{2,5})$/i.exec(name ?? '')?.[1]?.toLowerCase();

/** The video in a message, or undefined for a document that is not a video. */
export function incomingVideo(message: Message): IncomingVideo | undefined {
  if (message.video) {
    const { video } = message;
    const mimeType = video.mime_type ?? 'video/mp4';
    return {
      mediaType: 'video',
      fileId: video.file_id,
      fileUniqueId: video.file_unique_id,
      fileSize: video.file_size,
      durationSec: video.duration,
      width: video.width,
      height: video.height,
      mimeType,
      extension: EXTENSION_BY_MIME[mimeType] ?? extensionOfName(video.file_name) ?? 'mp4',
    };
  }
  if (message.video_note) {
    const note = message.video_note;
    return {
      mediaType: 'video_note',
      fileId: note.file_id,
      fileUniqueId: note.file_unique_id,
      fileSize: note.file_size,
      durationSec: note.duration,
      width: note.length,
      height: note.length,
      mimeType: 'video/mp4',
      extension: 'mp4',
    };
  }
  const document = message.document;
  if (!document) return undefined;
  const byName = extensionOfName(document.file_name);
  const extension =
    EXTENSION_BY_MIME[document.mime_type ?? ''] ?? (byName && VIDEO_EXTENSIONS.has(byName) ? byName : undefined);
  if (!extension || !(document.mime_type ?? 'video/').startsWith('video/')) return undefined;
  return {
    mediaType: 'document',
    fileId: document.file_id,
    fileUniqueId: document.file_unique_id,
    fileSize: document.file_size,
    mimeType: document.mime_type ?? 'video/mp4',
    extension,
  };
}

/**
 * The prompt that was on screen when a message was sent (`date`, Unix seconds): the newest
 * one shown at or before then, unless it had left the screen by then. A reading takes at
 * least a second to record, so a video of a prompt is never sent in the second it appeared.
 */
export function promptOnScreenAt(contributor: Contributor, date: number): Prompt | undefined {
  const sentAt = date * 1000;
  const candidates = [contributor.prompt, ...(contributor.earlierPrompts ?? [])].filter(
    (prompt): prompt is Prompt => prompt !== undefined,
  );
  const prompt = candidates.find((candidate) => !candidate.shownAt || Date.parse(candidate.shownAt) <= sentAt);
  return prompt?.endedAt && Date.parse(prompt.endedAt) <= sentAt ? undefined : prompt;
}

/** A video from a contributor: checked, streamed from Telegram to S3, recorded, confirmed. */
export async function handleVideoMessage(turn: Turn, message: Message): Promise<void> {
  const { contributor, deps } = turn;
  const { settings } = deps;
  if (message.animation) return turn.say('gifRefused');
  if (isForwarded(message)) return turn.say('forwardedRefused');
  const video = incomingVideo(message);
  if (!video) return turn.say('notVideoFile');
  if (!CONSENTED_STEPS.includes(contributor.step)) return turn.say('needOnboarding');
  if (contributor.step === 'finished') return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
  // A row from before prompts had times: in calibration, any video is the calibration.
  if (contributor.step === 'calibration' && !contributor.prompt) turn.change({ prompt: calibrationPrompt(turn) });

  const prompt = promptOnScreenAt(turn.contributor, message.date);
  if (!prompt) {
    // Sent before the sentence now on screen appeared, or while none was on screen.
    if (turn.contributor.prompt) turn.say('sentBeforePrompt');
    return showCurrentPrompt(turn);
  }
  if (prompt.kind !== 'calibration' && (await capReached(turn))) {
    turn.retirePrompt();
    turn.change({ step: 'finished' });
    return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
  }
  const limits = {
    max: seconds(turn.language, settings.maxVideoSec),
    min: seconds(turn.language, settings.minVideoSec),
  };
  if (video.fileSize !== undefined && video.fileSize > TELEGRAM_DOWNLOAD_LIMIT_BYTES) {
    return turn.say('tooLarge', limits);
  }
  // The declared duration spares a download; the pipeline holds the file itself to the same limits.
  if (video.durationSec !== undefined && video.durationSec < settings.minVideoSec) {
    return turn.say('tooShort', { ...limits, duration: seconds(turn.language, video.durationSec) });
  }
  if (video.durationSec !== undefined && video.durationSec > settings.maxVideoSec) {
    return turn.say('tooLong', { ...limits, duration: seconds(turn.language, video.durationSec) });
  }

  const recordingId = recordingIdFor(contributor.userId, video.fileUniqueId, settings.hashSalt);
  const recording: Recording = {
    recordingId,
    status: 'uploading',
    userId: contributor.userId,
    chatId: turn.chatId,
    contributorHash: contributor.contributorHash,
    language: prompt.language,
    kind: prompt.kind,
    promptId: prompt.promptId,
    promptText: prompt.text,
    promptToken: prompt.token,
    bucket: settings.uploadsBucket,
    key: contributionKey(contributor.contributorHash, recordingId, video.extension),
    mediaType: video.mediaType,
    mimeType: video.mimeType,
    durationSec: video.durationSec,
    width: video.width,
    height: video.height,
    fileSize: video.fileSize,
    fileUniqueId: video.fileUniqueId,
    demographics: contributor.demographics,
    capture: contributor.capture,
    consentVersion: contributor.consentVersion,
    ...(contributor.isTest ? { isTest: true } : {}),
    createdAt: deps.clock.now().toISOString(),
  };
  const claim = await deps.recordings.claim(recording);
  if (claim.outcome === 'duplicate') {
    // Stored by an earlier attempt whose reply never arrived: finish what it left undone.
    if (claim.existing.promptToken === turn.contributor.prompt?.token) return afterStored(turn, claim.existing);
    turn.say('duplicate');
    return showCurrentPrompt(turn);
  }

  const file = await deps.api.getFile({ file_id: video.fileId });
  if (file.file_size !== undefined && file.file_size > TELEGRAM_DOWNLOAD_LIMIT_BYTES) {
    await deps.recordings.delete(recordingId);
    return turn.say('tooLarge', limits);
  }
  if (!file.file_path) throw new Error(`getFile returned no file_path for ${video.fileUniqueId}`);
  let stored;
  try {
    stored = await deps.videos.upload({
      key: recording.key,
      body: piped(await deps.downloadFile(file.file_path), byteLimit(TELEGRAM_DOWNLOAD_LIMIT_BYTES)),
      contentType: video.mimeType,
      metadata: recordingMetadata(recording, { minSec: settings.minVideoSec, maxSec: settings.maxVideoSec }),
    });
  } catch (error) {
    if (!(error instanceof TelegramFileTooLargeError)) throw error;
    await deps.recordings.delete(recordingId);
    return turn.say('tooLarge', limits);
  }
  const jobId = deriveJobId(settings.uploadsBucket, recording.key, stored.versionId || stored.etag);
  const storedAt = deps.clock.now().toISOString();
  await deps.recordings.markStored(recordingId, { storedAt, jobId });
  deps.log.info('stored a contribution', { recordingId, key: recording.key, kind: prompt.kind, jobId });
  await afterStored(turn, { ...recording, status: 'stored', storedAt, jobId });
}

/** Counts a stored take (idempotent), tells the contributor, and moves on when it answered the prompt on screen. */
async function afterStored(turn: Turn, recording: Recording): Promise<void> {
  const { contributor, deps } = turn;
  if (recording.kind === 'sentence') await deps.sentences.countRecording(recording.promptId, recording.recordingId);
  const count = contributor.recordings + 1;
  const done =
    recording.kind === 'sentence' && !contributor.doneSentenceIds.includes(recording.promptId)
      ? [...contributor.doneSentenceIds, recording.promptId]
      : contributor.doneSentenceIds;
  turn.change({ recordings: count, doneSentenceIds: done });

  if (recording.promptToken !== contributor.prompt?.token) {
    // A late video of an earlier prompt: filed under it; the prompt on screen stays.
    turn.say('storedEarlier', { text: recording.promptText, count });
    return showCurrentPrompt(turn);
  }
  turn.retirePrompt();
  if (recording.kind === 'calibration') {
    turn.say('calibrationStored');
    if (contributor.step === 'calibration') turn.change({ step: 'recording' });
  } else {
    turn.say('stored', { count });
  }
  await offerNextPrompt(turn);
}

/** Passes bytes through and fails once more than `limit` went by: Telegram's size fields are the sender's word. */
export function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new TelegramFileTooLargeError(`The download passed ${limit} bytes.`));
      else callback(null, chunk);
    },
  });
}

/** Pipes errors of the source on to the returned stream too (pipe alone does not). */
export function piped(source: Readable, through: Transform): Transform {
  source.on('error', (error) => through.destroy(error));
  return source.pipe(through);
}

const isPlainAscii = (text: string) => /^[\x20-\x7e]*$/.test(text);
/** S3 user metadata travels in HTTP headers: free text is URI-encoded to stay ASCII. */
const encodeText = (text: string | undefined) => encodeURIComponent(text ?? '');

/**
 * Everything a dataset user needs about a recording, on the object itself, within S3's
 * 2 KB of user metadata: the text read is stored once, as the pipeline's `reference`.
 */
export function recordingMetadata(
  recording: Recording,
  limits: { minSec: number; maxSec: number },
): Record<string, string> {
  const reads = recording.kind !== 'calibration';
  return {
    source: 'telegram',
    'recording-id': recording.recordingId,
    contributor: recording.contributorHash,
    kind: recording.kind,
    'prompt-id': recording.promptId,
    language: recording.language,
    // start-pipeline: transcribe in the recording's own language, score WER against `reference`.
    'transcribe-language': TRANSCRIBE_LANGUAGE[recording.language],
    ...(reads
      ? isPlainAscii(recording.promptText)
        ? { reference: recording.promptText }
        : { reference: encodeText(recording.promptText), 'reference-encoding': 'uri' }
      : {}),
    gender: recording.demographics.gender ?? '',
    'age-range': recording.demographics.ageRange ?? '',
    accent: encodeText(recording.demographics.accent),
    'text-encoding': 'uri',
    lighting: recording.capture.lighting ?? '',
    location: recording.capture.location ?? '',
    'media-type': recording.mediaType,
    'declared-duration-sec': recording.durationSec === undefined ? '' : String(recording.durationSec),
    // start-pipeline: extract refuses media outside the bot's limits, whatever the client declared.
    'min-duration-sec': String(limits.minSec),
    'max-duration-sec': String(limits.maxSec),
    'consent-version': recording.consentVersion ?? '',
    test: recording.isTest ? 'true' : 'false',
  };
}
