import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTENT_TYPE_BY_EXTENSION } from '../../../functions/lib/api/media-types';
import { DEFAULT_ALLOWED_EXTENSIONS } from '../../../functions/start-pipeline/config';
import {
  ACCEPTED_CONTAINERS,
  ACCEPTED_EXTENSIONS,
  acceptedContainerOf,
  containersForExtension,
} from '../../../functions/lib/media/media-guard';
import { FFMPEG_DIR_FOR_TESTS, REPO_ROOT } from '../../support/paths';

/** The `containers=` list scripts/setup/build-ffmpeg.sh compiles in (ffmpeg calls mpegps "mpeg"). */
function builtContainers(): string[] {
  const script = readFileSync(path.join(REPO_ROOT, 'scripts', 'setup', 'build-ffmpeg.sh'), 'utf8');
  const line = /^containers=(.+)$/m.exec(script)?.[1] ?? '';
  return line.split(',').map((name) => (name === 'mpegps' ? 'mpeg' : name));
}

describe('the accepted containers', () => {
  it('are exactly the container demuxers the static build compiles in', () => {
    expect(builtContainers().sort()).toEqual(ACCEPTED_CONTAINERS.map((container) => container.demuxer).sort());
  });

  it('are all in the built ffmpeg, and HLS, DASH, concat and image demuxers are not', () => {
    // Act
    const listed = execFileSync(path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg'), ['-hide_banner', '-demuxers'], {
      encoding: 'utf8',
      env: { GCONV_PATH: '' },
    });
    const names = listed
      .split('\n')
      .map((line) => /^\s*D\S*\s+(\S+)/.exec(line)?.[1])
      .filter((name): name is string => Boolean(name))
      .flatMap((name) => name.split(','));

    // Assess
    for (const container of ACCEPTED_CONTAINERS) expect(names).toContain(container.demuxer);
    for (const risky of ['hls', 'dash', 'concat', 'image2', 'tty', 'lavfi', 'data']) expect(names).not.toContain(risky);
  });

  it('cover every extension the API, the page and start-pipeline accept', () => {
    for (const extension of [...Object.keys(CONTENT_TYPE_BY_EXTENSION), ...DEFAULT_ALLOWED_EXTENSIONS.split(',')]) {
      expect({ extension, accepted: ACCEPTED_EXTENSIONS.includes(extension) }).toEqual({ extension, accepted: true });
    }
  });

  it("match ffprobe's format names to the extension a file may carry", () => {
    expect(acceptedContainerOf('mov,mp4,m4a,3gp,3g2,mj2')?.demuxer).toBe('mov');
    expect(acceptedContainerOf('matroska,webm')?.demuxer).toBe('matroska');
    expect(acceptedContainerOf('hls')).toBeUndefined();
    expect(acceptedContainerOf(undefined)).toBeUndefined();
    expect(containersForExtension('.MP4').map((c) => c.demuxer)).toEqual(['mov']);
    expect(containersForExtension('opus').map((c) => c.demuxer)).toEqual(['ogg']);
  });
});
