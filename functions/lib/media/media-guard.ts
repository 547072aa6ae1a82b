/**
 * How every ffmpeg and ffprobe run on an upload is fenced in: the extract Lambda, the
 * lip-reading server and the local stand-ins all build their arguments and environment here.
 *
 * Uploads are hostile. A file named `x.mp4` may be an HLS playlist that points at another
 * local file, followed by a stream that makes a probe call it MPEG. So each run:
 * - opens inputs over the `file` protocol only (`-protocol_whitelist file`);
 * - may pick only a demuxer of a container the product accepts (`-format_whitelist`),
 *   and after the probe is told exactly which one (`-f`), so ffmpeg opens what ffprobe saw;
 * - gets an environment with no credentials (nothing of the caller's is passed on);
 * - is killed at a time limit (each caller's runner does that).
 */

export interface AcceptedContainer {
  /** ffmpeg's demuxer name: what `-f` and `-format_whitelist` take. */
  demuxer: string;
  /** What a person calls it, for error messages. */
  label: string;
  /** File extensions (lower case, no dot) that may hold this container. */
  extensions: readonly string[];
}

/**
 * The containers the product accepts. scripts/setup/build-ffmpeg.sh compiles exactly these
 * demuxers into the static build (a test holds the two lists together).
 */
export const ACCEPTED_CONTAINERS: readonly AcceptedContainer[] = [
  { demuxer: 'mov', label: 'MP4/MOV', extensions: ['mp4', 'm4v', 'mov', 'm4a', '3gp'] },
  { demuxer: 'matroska', label: 'MKV/WebM', extensions: ['mkv', 'webm'] },
  { demuxer: 'mpeg', label: 'MPEG program stream', extensions: ['mpg', 'mpeg'] },
  { demuxer: 'avi', label: 'AVI', extensions: ['avi'] },
  { demuxer: 'mp3', label: 'MP3', extensions: ['mp3'] },
  { demuxer: 'wav', label: 'WAV', extensions: ['wav'] },
  { demuxer: 'ogg', label: 'Ogg', extensions: ['ogg', 'opus'] },
  { demuxer: 'flac', label: 'FLAC', extensions: ['flac'] },
];

export const DEMUXER_ALLOW_LIST = ACCEPTED_CONTAINERS.map((container) => container.demuxer).join(',');

/**
 * Input options that go before `-i`: the file protocol only, an accepted demuxer only, and
 * when the container is known, that demuxer and no other.
 */
export function inputGuardArgs(demuxer?: string): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', DEMUXER_ALLOW_LIST, ...(demuxer ? ['-f', demuxer] : [])];
}

/**
 * The whole environment a media tool gets. No AWS_* credentials, tokens or paths of the
 * caller. An empty GCONV_PATH keeps a static binary from loading the host's gconv modules,
 * which crash the older static ffprobe (exit 139) on MPEG-TS.
 */
export function mediaToolEnvironment(): NodeJS.ProcessEnv {
  return { GCONV_PATH: '', LC_ALL: 'C' };
}

/** The accepted container ffprobe found, from its `format_name` ("mov,mp4,m4a,3gp,3g2,mj2"). */
export function acceptedContainerOf(formatName: string | undefined): AcceptedContainer | undefined {
  const names = (formatName ?? '').split(',');
  return ACCEPTED_CONTAINERS.find((container) => names.includes(container.demuxer));
}

/** The containers a file with this extension may hold; every accepted one when it has none we know. */
export function containersForExtension(extension: string): readonly AcceptedContainer[] {
  const wanted = extension.replace(/^\./, '').toLowerCase();
  const matching = ACCEPTED_CONTAINERS.filter((container) => container.extensions.includes(wanted));
  return matching.length ? matching : ACCEPTED_CONTAINERS;
}

export const ACCEPTED_EXTENSIONS: readonly string[] = ACCEPTED_CONTAINERS.flatMap((container) => container.extensions);
