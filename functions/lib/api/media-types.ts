/**
 * The media type each accepted extension is stored with; S3 serves the video back with it.
 * Shared by the API (which signs the upload for it) and the page (which fills in what browsers
 * leave empty for some containers), so the two cannot drift apart.
 */
export const CONTENT_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  mpg: 'video/mpeg',
  mpeg: 'video/mpeg',
  avi: 'video/x-msvideo',
};
