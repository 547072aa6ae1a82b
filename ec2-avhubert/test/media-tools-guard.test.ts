import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeMedia, type MediaTools } from '../src/preprocess/ffmpeg';
import { waitFor } from './support/server-async';

/**
 * The server's ffprobe and ffmpeg runs on uploaded videos: a hung probe must not hold a queue
 * slot (and keep the GPU from idling off), and no run sees the instance's credentials.
 */

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'avhubert-tools-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A stand-in ffprobe that records its pid, environment and arguments, then hangs. */
function hangingProbe(): { tools: MediaTools; pidFile: string; seenFile: string } {
  const pidFile = path.join(scratch, 'pid');
  const seenFile = path.join(scratch, 'seen');
  const script = path.join(scratch, 'hanging-ffprobe');
  writeFileSync(
    script,
    `#!/bin/sh\nenv > '${seenFile}'\necho "ARGS $*" >> '${seenFile}'\necho $$ > '${pidFile}'\nexec sleep 60\n`,
  );
  chmodSync(script, 0o755);
  return { tools: { ffprobePath: script, ffmpegPath: script }, pidFile, seenFile };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the lip-reading server’s media tools', () => {
  it('kill a hung probe as soon as the job is stopped', async () => {
    // Prepare
    const { tools, pidFile } = hangingProbe();
    const job = new AbortController();
    const stopped = new Error('The job was stopped.');

    // Act
    const probing = probeMedia(path.join(scratch, 'video.mp4'), tools, { signal: job.signal });
    probing.catch(() => undefined);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 10_000, 'the probe');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    job.abort(stopped);

    // Assess
    await expect(probing).rejects.toBe(stopped);
    await waitFor(() => !alive(pid), 5_000, 'the probe to be killed');
  });

  it('kill a probe that runs past its time limit, and say so', async () => {
    // Prepare
    const { tools, pidFile } = hangingProbe();

    // Act
    const probing = probeMedia(path.join(scratch, 'video.mp4'), tools, { timeoutMs: 1_000 });

    // Assess
    await expect(probing).rejects.toMatchObject({
      name: 'PreprocessError',
      reason: 'corrupt_video',
      message: expect.stringMatching(/ran for more than 1 s on this file and was stopped/),
    });
    await waitFor(() => !alive(Number(readFileSync(pidFile, 'utf8'))), 5_000, 'the probe to be killed');
  });

  it('run with no credentials, the file protocol only and accepted containers only', async () => {
    // Prepare
    const { tools, seenFile } = hangingProbe();
    process.env.AWS_SECRET_ACCESS_KEY = 'do-not-leak';
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = 'http://169.254.170.2/creds';

    // Act
    await probeMedia(path.join(scratch, 'video.mp4'), tools, { timeoutMs: 1_000 }).catch(() => undefined);

    // Assess
    const seen = readFileSync(seenFile, 'utf8');
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    expect(seen).not.toMatch(/^AWS_/m);
    expect(seen).not.toContain('do-not-leak');
    expect(seen).toContain('-protocol_whitelist file -format_whitelist mov,matroska,mpeg,avi,mp3,wav,ogg,flac');
  });
});
