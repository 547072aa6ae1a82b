import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireStackLock, StackAlreadyRunningError } from '../../scripts/local-stack/lock';

describe('local stack lock file', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-lock-test-'));
    file = path.join(dir, 'local-stack.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second start while the holder lives, saying how to stop it', () => {
    // Prepare
    const first = acquireStackLock(file);

    // Act
    let refusal: unknown;
    try {
      acquireStackLock(file);
    } catch (error) {
      refusal = error;
    }

    // Assess
    expect(refusal).toBeInstanceOf(StackAlreadyRunningError);
    expect((refusal as Error).message).toBe(
      `Gorggle's local stack is already running (pid ${process.pid}, started at ${first.info.startedAt}); ` +
        `stop it with Ctrl-C in its terminal or \`kill ${process.pid}\`.`,
    );
    first.release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a lock whose process is gone, and records endpoints', () => {
    // Prepare
    const gone = spawnSync('true').pid;
    writeFileSync(file, JSON.stringify({ pid: gone, startedAt: '2020-01-01T00:00:00.000Z' }));

    // Act
    const lock = acquireStackLock(file);
    lock.update({ s3: 'http://127.0.0.1:4568' });

    // Assess
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      pid: process.pid,
      endpoints: { s3: 'http://127.0.0.1:4568' },
    });
    lock.release();
  });

  it('does not remove a lock another stack took over', () => {
    // Prepare
    const lock = acquireStackLock(file);
    writeFileSync(file, JSON.stringify({ pid: 1, startedAt: 'later' }));

    // Act
    lock.release();

    // Assess
    expect(existsSync(file)).toBe(true);
  });
});
