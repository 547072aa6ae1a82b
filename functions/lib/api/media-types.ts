/** Videos: speech, faces, active speakers and lip reading. */
export const VIDEO_CONTENT_TYPES: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  mpg: 'video/mpeg',
  mpeg: 'video/mpeg',
  avi: 'video/x-msvideo',
};

/** Audio files: speech alone; speakers come from voices. */
export const AUDIO_CONTENT_TYPES: Readonly<Record<string, string>> = {
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  flac: 'audio/flac',
};

/**
 * The media type each accepted extension is stored with; S3 serves the file back with it.
 * Shared by the API (which signs the upload for it), the page (which fills in what browsers
 * leave empty for some containers), start-pipeline's default extensions and the CLI, so they
 * cannot drift apart.
 */
export const CONTENT_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  ...VIDEO_CONTENT_TYPES,
  ...AUDIO_CONTENT_TYPES,
};

/** Every extension the pipeline takes by default, lower case, without the dot. */
export const MEDIA_EXTENSIONS: readonly string[] = Object.keys(CONTENT_TYPE_BY_EXTENSION);

/** "clip.Final.MP4" -> "mp4"; '' when the name has no extension. */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}
