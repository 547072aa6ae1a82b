import { readFile } from 'node:fs/promises';
import { UnsupportedMediaError } from '../errors';

/** 16-bit PCM mono samples and their rate. Values stay in the int16 range (-32768..32767). */
export interface PcmAudio {
  sampleRate: number;
  samples: Int16Array;
}

export const pcmDurationSec = (audio: PcmAudio) => audio.samples.length / audio.sampleRate;

/**
 * Reads a RIFF/WAVE file of 16-bit PCM mono (what extract writes with ffmpeg), walking its
 * chunks rather than assuming a 44-byte header: ffmpeg may add a LIST chunk.
 */
export function parsePcm16MonoWav(bytes: Buffer, name = 'audio.wav'): PcmAudio {
  const refuse = (why: string) => new UnsupportedMediaError(`${name} is not 16-bit PCM mono WAV: ${why}.`);
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') {
    throw refuse('no RIFF/WAVE header');
  }
  let sampleRate = 0;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const declared = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = bytes.readUInt16LE(body);
      const channels = bytes.readUInt16LE(body + 2);
      const bits = bytes.readUInt16LE(body + 14);
      // 0xFFFE is WAVE_FORMAT_EXTENSIBLE, which ffmpeg uses for some layouts; its subformat is PCM here.
      if ((format !== 1 && format !== 0xfffe) || channels !== 1 || bits !== 16) {
        throw refuse(`format ${format}, ${channels} channel(s), ${bits} bits`);
      }
      sampleRate = bytes.readUInt32LE(body + 4);
    } else if (id === 'data') {
      if (!sampleRate) throw refuse('the data chunk comes before the fmt chunk');
      // A streamed WAV may declare 0 or 0xFFFFFFFF; the file's end bounds the data either way.
      const end = Math.min(bytes.length, declared === 0 ? bytes.length : body + declared);
      const count = Math.floor((end - body) / 2);
      const samples = new Int16Array(count);
      for (let index = 0; index < count; index++) samples[index] = bytes.readInt16LE(body + index * 2);
      return { sampleRate, samples };
    }
    offset = body + declared + (declared % 2);
  }
  throw refuse('no data chunk');
}

export async function readPcm16MonoWav(filePath: string): Promise<PcmAudio> {
  return parsePcm16MonoWav(await readFile(filePath), filePath);
}
