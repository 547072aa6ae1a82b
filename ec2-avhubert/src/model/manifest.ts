/**
 * The model package contract: a folder the server loads, written by `make models` (tiny test
 * models) or by the AV-HuBERT export tool (real weights). Version it: `formatVersion`.
 *
 *   manifest.json     this schema
 *   encoder.pt        TorchScript, forward(video, audio, padding_mask=None):
 *                       video         float32 [B, 1, T, 88, 88]  normalised (x/255 - mean)/std
 *                       audio         float32 [B, 104, T]        26 log filterbanks x 4 stacked, layer-normalised
 *                       padding_mask  int64   [B, T]             optional, nonzero = padded frame
 *                     An absent modality is passed as zeros, as AV-HuBERT does under modality dropout.
 *                     seq2seq: returns encoder_out float32 [B, T, encoder.dim]
 *                     ctc:     returns log-probabilities float32 [B, T, vocabSize]
 *   decoder_step.pt   seq2seq only. TorchScript, one incremental step with an explicit cache:
 *                       forward(tokens int64 [B, 1], encoder_out [1|B, T, D],
 *                               cache_k float32 [L, B', H, S, dh], cache_v (same),
 *                               step int64 [] (0-based position of `tokens`),
 *                               beam_origin int64 [B] = None (row of the incoming cache each
 *                                 hypothesis extends; B' may differ from B),
 *                               encoder_padding_mask int64 [1|B, T] = None)
 *                       -> (log_probs float32 [B, vocabSize], new_cache_k [L, B, H, S+1, dh], new_cache_v)
 *                     At step 0 the caches are empty (S = 0) and tokens hold decoder.startTokenId.
 *                     formatVersion 2 adds the device decoder's methods (the caches and the
 *                     cross-attention keys/values stay on the model's device between steps):
 *                       cross_kv(encoder_out [N,T,D], encoder_padding_mask int64 [N,T] = None)
 *                         -> (memory_k, memory_v [L,N,H,T,dh], memory_bias [N,1,1,T]: 0 or -inf)
 *                       select_memory(memory_k, memory_v, memory_bias, index int64 [N']) -> the same, for the kept chunks
 *                       step(tokens [N*R,1], memory_k, memory_v, memory_bias, cache_k, cache_v,
 *                            position int64 [], beam_origin int64 [N*R] = None)
 *                         -> (log_probs float32 [N*R, vocabSize], new_cache_k, new_cache_v)
 *                         R rows per chunk; chunk n owns rows n*R .. n*R+R-1.
 *   vocab.txt         SentencePiece pieces, one per line; a piece's id is its line index
 *                     (fairseq layout: <s> <pad> </s> <unk> first).
 */
import * as z from 'zod';

export const OUTPUT_TYPES = ['seq2seq', 'ctc'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

/** Names of the decoder_step arguments that the decoding loop passes. */
export const DECODER_STEP_INPUTS = ['tokens', 'encoder_out', 'cache_k', 'cache_v', 'step', 'beam_origin'] as const;
export const ENCODER_INPUTS = ['video', 'audio'] as const;
/** formatVersion 2: the device decoder's methods of decoder_step.pt and the arguments it passes. */
export const DEVICE_DECODER_METHODS = {
  cross_kv: ['encoder_out', 'encoder_padding_mask'],
  select_memory: ['memory_k', 'memory_v', 'memory_bias', 'index'],
  step: ['tokens', 'memory_k', 'memory_v', 'memory_bias', 'cache_k', 'cache_v', 'position', 'beam_origin'],
} as const;

const tokenId = z.number().int().nonnegative();
const fileName = z
  .string()
  .min(1)
  .refine(
    (name) => !name.includes('/') && !name.includes('\\') && name !== '..',
    'a plain file name inside the package',
  );

const commonFields = {
  format: z.literal('gorggle-avhubert-package'),
  /** 1: decoder_step.pt has forward only; 2: also the device decoder's methods. */
  formatVersion: z.union([z.literal(1), z.literal(2)]),
  /** Shown in lipreading.json as model.name. */
  name: z.string().min(1),
  /** vsr reads lips only; avsr also takes audio features. */
  mode: z.enum(['vsr', 'avsr']),
  input: z.object({
    fps: z.literal(25),
    video: z.object({
      /** Square ROI side after the centre crop. */
      size: z.literal(88),
      /** Gray pixels are fed as (x/255 - mean)/std. */
      mean: z.number(),
      std: z.number().positive(),
    }),
    audio: z.object({
      /** 26-dim log filterbank at 100 Hz, 4 frames stacked. */
      dim: z.literal(104),
      /** Stacked audio frames per second: one per video frame. */
      rateHz: z.literal(25),
    }),
  }),
  encoder: z.object({ dim: z.number().int().positive() }),
  /** Lines in vocab.txt. */
  vocabSize: z.number().int().min(5),
  /** AV-HuBERT's fairseq dictionary: bos 0, pad 1, eos 2, unk 3. */
  specialIds: z.object({ bos: tokenId, pad: tokenId, eos: tokenId, unk: tokenId }),
  decoding: z.object({
    beam: z.number().int().min(1).max(64),
    /** fairseq normalisation: a finished hypothesis scores sum(log p) / length^lenPenalty. */
    lenPenalty: z.number(),
    /**
     * Max output tokens = floor(perFrame * frames + offset) (fairseq max_len_a/max_len_b).
     * It comes from the frame count; upstream AV-HuBERT takes the audio feature size (104) instead.
     */
    maxLength: z.object({ perFrame: z.number().positive(), offset: z.number().int() }),
  }),
};

export const seq2seqManifestSchema = z.object({
  ...commonFields,
  output: z.literal('seq2seq'),
  files: z.object({ encoder: fileName, decoderStep: fileName, vocab: fileName }),
  decoder: z.object({
    /** Cache shape [layers, B, heads, S, headDim]. */
    layers: z.number().int().positive(),
    heads: z.number().int().positive(),
    headDim: z.number().int().positive(),
    /** First decoder input; fairseq's SequenceGenerator feeds eos (2) when no bos is set. */
    startTokenId: tokenId,
  }),
});

export const ctcManifestSchema = z.object({
  ...commonFields,
  output: z.literal('ctc'),
  files: z.object({ encoder: fileName, vocab: fileName }),
  ctc: z.object({ blankId: tokenId }),
});

export const modelManifestSchema = z.discriminatedUnion('output', [seq2seqManifestSchema, ctcManifestSchema]);
export type Seq2SeqManifest = z.infer<typeof seq2seqManifestSchema>;
export type CtcManifest = z.infer<typeof ctcManifestSchema>;
export type ModelManifest = z.infer<typeof modelManifestSchema>;
