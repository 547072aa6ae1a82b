import { writeFile } from 'node:fs/promises';
import { readPcm16MonoWav, type PcmAudio } from '../../../../functions/lib/media/wav';
import {
  detectSpeech,
  type SpeechSegment,
  type VoiceActivityDetector,
} from '../../../../functions/lib/speech/voice-activity';

/**
 * Sound kept either side of each speech segment: the recogniser needs a little context, and a
 * soft first consonant ("s" in "set") may start before the detector hears speech.
 */
export const SPEECH_MARGIN_SEC = 0.25;

/** A 16-bit PCM mono RIFF/WAVE file. */
export function encodePcm16MonoWav(audio: PcmAudio): Buffer {
  const data = audio.samples.length * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(audio.sampleRate, 24);
  header.writeUInt32LE(audio.sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.from(audio.samples.buffer, audio.samples.byteOffset, data)]);
}

/**
 * Silences everything in the 16 kHz wav but its speech (Silero VAD, as extract runs it), with
 * a margin, so the stand-in transcribes along the speech segments and never hears words in
 * noise. Rewrites the file in place and returns the segments found.
 */
export async function keepOnlySpeech(wavPath: string, detector: VoiceActivityDetector): Promise<SpeechSegment[]> {
  const audio = await readPcm16MonoWav(wavPath);
  const { segments } = await detectSpeech(audio, detector);
  const keep = new Uint8Array(audio.samples.length);
  for (const { start, end } of segments) {
    const from = Math.max(0, Math.floor((start - SPEECH_MARGIN_SEC) * audio.sampleRate));
    const to = Math.min(keep.length, Math.ceil((end + SPEECH_MARGIN_SEC) * audio.sampleRate));
    keep.fill(1, from, to);
  }
  const samples = audio.samples.map((sample, index) => (keep[index] ? sample : 0));
  await writeFile(wavPath, encodePcm16MonoWav({ sampleRate: audio.sampleRate, samples }));
  return segments;
}
