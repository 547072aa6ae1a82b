/**
 * Unpacks a function zip once into <root>/<name>/<sha256 prefix>/, keeping each entry's
 * Unix mode (the extract zip's bin/ffmpeg must stay executable). A changed zip gets a new
 * folder; the old ones are removed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
}

/** Extracts every entry of `zipFile` into `targetDir`, refusing paths that leave it. */
export async function extractZip(zipFile: string, targetDir: string): Promise<void> {
  const zip = await openZip(zipFile);
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = path.resolve(targetDir, entry.fileName);
      if (!target.startsWith(path.resolve(targetDir) + path.sep)) {
        reject(new Error(`${zipFile} has an entry outside its folder: ${entry.fileName}`));
        return;
      }
      // The high 16 bits of the external attributes hold the Unix mode (yazl writes it there).
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      const write = async () => {
        if (entry.fileName.endsWith('/')) {
          await mkdir(target, { recursive: true });
          return;
        }
        await mkdir(path.dirname(target), { recursive: true });
        await pipeline(await openEntry(zip, entry), createWriteStream(target));
        if (mode) await chmod(target, mode);
      };
      write().then(() => zip.readEntry(), reject);
    });
    zip.readEntry();
  });
}

export interface UnpackedFunction {
  dir: string;
  sha256: string;
}

/** Keeps one unpacked copy per function and zip content; re-hashes only when the zip's stat changes. */
export class FunctionUnpacker {
  private readonly known = new Map<string, { mtimeMs: number; size: number; unpacked: Promise<UnpackedFunction> }>();

  constructor(
    private readonly functionsDir: string,
    private readonly unpackRoot: string,
  ) {}

  zipOf(name: string): string {
    return path.join(this.functionsDir, `${name}.zip`);
  }

  async unpack(name: string): Promise<UnpackedFunction> {
    const zipFile = this.zipOf(name);
    const info = await stat(zipFile).catch(() => {
      throw new Error(`There is no ${zipFile}; run \`make build\` to bundle the functions first.`);
    });
    const cached = this.known.get(name);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.unpacked;
    const unpacked = this.unpackFresh(name, zipFile);
    this.known.set(name, { mtimeMs: info.mtimeMs, size: info.size, unpacked });
    unpacked.catch(() => this.known.delete(name));
    return unpacked;
  }

  private async unpackFresh(name: string, zipFile: string): Promise<UnpackedFunction> {
    const sha256 = await sha256File(zipFile);
    const functionRoot = path.join(this.unpackRoot, name);
    const dir = path.join(functionRoot, sha256.slice(0, 16));
    const done = await stat(path.join(dir, 'index.mjs')).then(
      () => true,
      () => false,
    );
    if (!done) {
      const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { recursive: true });
      await extractZip(zipFile, staging);
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    }
    for (const entry of await readdir(functionRoot)) {
      if (entry !== path.basename(dir)) await rm(path.join(functionRoot, entry), { recursive: true, force: true });
    }
    return { dir, sha256 };
  }
}
