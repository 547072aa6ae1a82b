export { startRekognitionEmulator, type RekognitionEmulatorOptions } from './rekognition/emulator';
export { startTranscribeEmulator, type TranscribeEmulatorOptions } from './transcribe/emulator';
export type { EmulatorHandle, EmulatorLogger, EmulatorOptions, S3Access } from './types';
