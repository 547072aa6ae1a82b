import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateModelFile, MODEL_FILES, type ModelFile } from '../../../scripts/models/weights';

const BYTES = Buffer.from('weights of a small model\n');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let scratch: string;
let server: Server;
let baseUrl: string;
let requests: string[];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/model.bin') response.end(BYTES);
    else if (request.url === '/tampered.bin') response.end(Buffer.concat([BYTES, Buffer.from('!')]));
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'weights-test-'));
  requests = [];
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const model = (file: string, url: string): ModelFile => ({ file: `test/${file}`, sha256: sha256(BYTES), url });
const dirs = () => ({ sharedModelsDir: path.join(scratch, 'shared'), downloadsDir: path.join(scratch, 'downloads') });

describe('locating model files', () => {
  it('reads the shared copy in place when its sha256 matches, without downloading', async () => {
    // Prepare
    const shared = path.join(scratch, 'shared', 'test', 'model.bin');
    mkdirSync(path.dirname(shared), { recursive: true });
    writeFileSync(shared, BYTES);

    // Act
    const found = await locateModelFile(model('model.bin', `${baseUrl}/model.bin`), dirs());

    // Assess
    expect(found).toBe(shared);
    expect(requests).toEqual([]);
  });

  it('downloads from upstream once when there is no shared copy, and keeps it', async () => {
    // Act
    const first = await locateModelFile(model('model.bin', `${baseUrl}/model.bin`), dirs());
    const second = await locateModelFile(model('model.bin', `${baseUrl}/model.bin`), dirs());

    // Assess
    expect(first).toBe(path.join(scratch, 'downloads', 'test', 'model.bin'));
    expect(second).toBe(first);
    expect(readFileSync(first)).toEqual(BYTES);
    expect(requests).toEqual(['/model.bin']);
  });

  it('refuses a download whose sha256 differs, and keeps nothing of it', async () => {
    // Act
    const result = locateModelFile(model('model.bin', `${baseUrl}/tampered.bin`), dirs());

    // Assess
    await expect(result).rejects.toThrow(/has sha256 [0-9a-f]{64}, not [0-9a-f]{64}: refusing it/);
    expect(existsSync(path.join(scratch, 'downloads', 'test', 'model.bin'))).toBe(false);
  });

  it('refuses a shared copy that differs from upstream rather than swapping it silently', async () => {
    // Prepare
    const shared = path.join(scratch, 'shared', 'test', 'model.bin');
    mkdirSync(path.dirname(shared), { recursive: true });
    writeFileSync(shared, 'something else');

    // Act
    const result = locateModelFile(model('model.bin', `${baseUrl}/model.bin`), dirs());

    // Assess
    await expect(result).rejects.toThrow(/the shared copy differs from upstream/);
  });

  it('says where to put the file when the download fails', async () => {
    await expect(locateModelFile(model('model.bin', `${baseUrl}/missing.bin`), dirs())).rejects.toThrow(
      /Could not download .*missing\.bin \(HTTP 404 Not Found\)\. Put the file at /,
    );
  });

  it('pins every model and licence to an upstream commit', () => {
    for (const file of Object.values(MODEL_FILES)) {
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(file.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
    }
  });
});
