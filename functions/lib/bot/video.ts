import type { Message } from 'node-telegram-bot-api';
import { formatBytes } from '../pipeline/start-pipeline';
import { calibrationPrompt, offerNextPrompt } from './prompts';
import { contributionKey, recordingIdFor } from './identity';
import { CONSENTED_STEPS, type Recording } from './model';
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
  durationSec?: number;
  width?: number;
  height?: number;
  mimeType: string;
  extension: string;
}

export const isVideoLike = (message: Message) => Boolean(message.video || message.video_note || message.document);

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

/** A video from a contributor: checked, streamed from Telegram to S3, recorded, confirmed. */
export async function handleVideoMessage(turn: Turn, message: Message): Promise<void> {
  const { contributor, deps } = turn;
  const { settings } = deps;
  const video = incomingVideo(message);
  if (!video) return turn.say('notVideoFile');
  if (!CONSENTED_STEPS.includes(contributor.step)) return turn.say('needOnboarding');
  if (contributor.step === 'finished') return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
  if (contributor.step === 'calibration' && contributor.prompt?.kind !== 'calibration') {
    turn.change({ prompt: calibrationPrompt(turn) });
  }
  const prompt = turn.contributor.prompt;
  if (!prompt) return offerNextPrompt(turn);
  if (prompt.kind === 'sentence' && contributor.recordings >= settings.maxRecordingsPerContributor) {
    turn.change({ step: 'finished', prompt: undefined });
    return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
  }
  if (video.fileSize !== undefined && video.fileSize > TELEGRAM_DOWNLOAD_LIMIT_BYTES) {
    return turn.say('tooLarge', { size: formatBytes(video.fileSize), max: settings.maxVideoSec });
  }
  if (video.durationSec !== undefined && video.durationSec < settings.minVideoSec) {
    return turn.say('tooShort', { duration: video.durationSec, min: settings.minVideoSec });
  }
  if (video.durationSec !== undefined && video.durationSec > settings.maxVideoSec) {
    return turn.say('tooLong', { duration: video.durationSec, max: settings.maxVideoSec });
  }

  const recordingId = recordingIdFor(contributor.userId, video.fileUniqueId);
  const now = deps.clock.now().toISOString();
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
    ...(contributor.isTest ? { isTest: true } : {}),
    createdAt: now,
  };
  const claim = await deps.recordings.claim(recording);
  if (claim === 'duplicate') return turn.say('duplicate');

  const file = await deps.api.getFile({ file_id: video.fileId });
  if (file.file_size !== undefined && file.file_size > TELEGRAM_DOWNLOAD_LIMIT_BYTES) {
    return turn.say('tooLarge', { size: formatBytes(file.file_size), max: settings.maxVideoSec });
  }
  if (!file.file_path) throw new Error(`getFile returned no file_path for ${video.fileUniqueId}`);
  await deps.videos.upload({
    key: recording.key,
    body: await deps.downloadFile(file.file_path),
    contentType: video.mimeType,
    metadata: recordingMetadata(recording),
  });
  await deps.recordings.markStored(recordingId, deps.clock.now().toISOString());
  deps.log.info('stored a contribution', { recordingId, key: recording.key, kind: prompt.kind });

  const recordings = contributor.recordings + 1;
  if (prompt.kind === 'sentence') {
    await deps.sentences.increment(prompt.promptId, 'recordings');
    turn.change({ recordings, doneSentenceIds: [...contributor.doneSentenceIds, prompt.promptId], prompt: undefined });
  } else {
    turn.change({ recordings, prompt: undefined });
  }
  if (prompt.kind === 'calibration') {
    turn.say('calibrationStored');
    if (contributor.step === 'calibration') turn.change({ step: 'recording' });
  } else {
    turn.say('stored', { count: recordings });
  }
  await offerNextPrompt(turn);
}

const isPlainAscii = (text: string) => /^[\x20-\x7e]*$/.test(text);
/** S3 user metadata travels in HTTP headers: free text is URI-encoded to stay ASCII. */
const encodeText = (text: string | undefined) => encodeURIComponent(text ?? '');

/** Everything a dataset user needs about a recording, on the object itself. */
export function recordingMetadata(recording: Recording): Record<string, string> {
  return {
    source: 'telegram',
    'recording-id': recording.recordingId,
    contributor: recording.contributorHash,
    kind: recording.kind,
    'prompt-id': recording.promptId,
    'prompt-text': encodeText(recording.promptText),
    'text-encoding': 'uri',
    language: recording.language,
    gender: recording.demographics.gender ?? '',
    'age-range': recording.demographics.ageRange ?? '',
    accent: encodeText(recording.demographics.accent),
    lighting: recording.capture.lighting ?? '',
    location: recording.capture.location ?? '',
    'media-type': recording.mediaType,
    'duration-sec': recording.durationSec === undefined ? '' : String(recording.durationSec),
    test: recording.isTest ? 'true' : 'false',
    // start-pipeline reads `reference` to score WER; S3 headers carry ASCII only.
    ...(recording.kind !== 'calibration' && isPlainAscii(recording.promptText)
      ? { reference: recording.promptText }
      : {}),
  };
}
