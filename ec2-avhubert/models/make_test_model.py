"""Writes tiny AV-HuBERT-shaped TorchScript model packages for the tests.

Run with Debian's python3-torch (`make models`, i.e. /usr/bin/python3 make_test_model.py):

  test-model/      seq2seq, mode avsr: encoder.pt + decoder_step.pt (explicit key/value cache)
  test-model-ctc/  ctc, mode vsr: encoder.pt with a CTC head

Both follow the package contract documented in ec2-avhubert/src/model/manifest.ts, which the
AV-HuBERT export tool targets too. The weights are trained for a few seconds, seeded, so that
decoding is meaningful: a bright video (normalised pixels > 0) reads BRIGHT_SENTENCE, a dark one
DARK_SENTENCE. The script checks that through the saved TorchScript files before it writes them.
"""

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

SEED = 20240613
DIM = 32
HEADS = 4
HEAD_DIM = DIM // HEADS
FFN_DIM = 64
ENCODER_LAYERS = 2
DECODER_LAYERS = 2
VIDEO_SIZE = 88
AUDIO_DIM = 104

# fairseq dictionary layout, as AV-HuBERT uses it: id = line index of vocab.txt.
BOS, PAD, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
WORDS = ["▁BIN", "▁BLUE", "▁AT", "▁F", "▁TWO", "▁NOW", "▁PLACE", "▁RED", "▁G", "▁NINE", "▁SET", "▁WHITE", "▁SOON"]
PIECES = SPECIALS + ["▁"] + LETTERS + ["'"] + WORDS
PIECE_ID = {piece: index for index, piece in enumerate(PIECES)}

BRIGHT_SENTENCE = ["▁BIN", "▁BLUE", "▁AT", "▁F", "▁TWO", "▁NOW"]
# "AGAIN" is spelt from letter pieces so detokenisation of sub-word pieces is exercised.
DARK_SENTENCE = ["▁PLACE", "▁RED", "▁AT", "▁G", "▁NINE", "▁", "A", "G", "A", "I", "N"]


def sinusoid(positions: Tensor, dim: int) -> Tensor:
    """[N] float positions -> [N, dim] sinusoidal embeddings (sin | cos halves, as fairseq)."""
    half = dim // 2
    inv_freq = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / (half - 1)))
    angles = positions.to(torch.float32).unsqueeze(1) * inv_freq.unsqueeze(0)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.q = nn.Linear(DIM, DIM)
        self.k = nn.Linear(DIM, DIM)
        self.v = nn.Linear(DIM, DIM)
        self.out = nn.Linear(DIM, DIM)
        # TorchScript cannot read module-level ints, so the sizes live on the module.
        self.heads = HEADS
        self.head_dim = HEAD_DIM
        self.dim = DIM

    def split(self, x: Tensor) -> Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Optional[Tensor]) -> Tensor:
        """q [B,H,Tq,dh], k/v [B,H,Tk,dh], mask broadcastable to [B,H,Tq,Tk] (True = hidden)."""
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(float(self.head_dim))
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        b, _, tq, _ = q.shape
        return self.out(torch.matmul(weights, v).transpose(1, 2).reshape(b, tq, self.dim))

    def forward(self, query: Tensor, memory: Tensor, mask: Optional[Tensor]) -> Tensor:
        return self.attend(self.split(self.q(query)), self.split(self.k(memory)), self.split(self.v(memory)), mask)


class FeedForward(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(DIM, FFN_DIM)
        self.down = nn.Linear(FFN_DIM, DIM)

    def forward(self, x: Tensor) -> Tensor:
        return self.down(F.relu(self.up(x)))


class EncoderLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(DIM)
        self.attn = Attention()
        self.ffn_norm = nn.LayerNorm(DIM)
        self.ffn = FeedForward()

    def forward(self, x: Tensor, key_padding: Optional[Tensor]) -> Tensor:
        h = self.attn_norm(x)
        x = x + self.attn(h, h, key_padding)
        return x + self.ffn(self.ffn_norm(x))


def key_padding_mask(padding_mask: Optional[Tensor]) -> Optional[Tensor]:
    """[B,T] int64 (nonzero = padded frame) -> [B,1,1,T] bool for attention scores."""
    if padding_mask is None:
        return None
    return (padding_mask != 0).unsqueeze(1).unsqueeze(2)


class Encoder(nn.Module):
    """AV-HuBERT's input layout: video [B,1,T,88,88], audio [B,104,T]; an absent modality is zeros."""

    def __init__(self, ctc_vocab: int = 0) -> None:
        super().__init__()
        self.video_stem = nn.Conv3d(1, 8, kernel_size=(3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1))
        self.video_proj = nn.Linear(8 * 2 * 2, DIM)
        self.audio_proj = nn.Linear(AUDIO_DIM, DIM)
        self.fuse_norm = nn.LayerNorm(2 * DIM)
        self.fuse_proj = nn.Linear(2 * DIM, DIM)
        self.layers = nn.ModuleList([EncoderLayer() for _ in range(ENCODER_LAYERS)])
        self.final_norm = nn.LayerNorm(DIM)
        self.has_ctc_head = ctc_vocab > 0
        self.dim = DIM
        self.ctc_head = nn.Linear(DIM, max(ctc_vocab, 1))

    def forward(self, video: Tensor, audio: Tensor, padding_mask: Optional[Tensor] = None) -> Tensor:
        b = video.size(0)
        t = video.size(2)
        v = F.avg_pool3d(video, kernel_size=(1, 8, 8))  # [B,1,T,11,11]
        v = F.relu(self.video_stem(v))  # [B,8,T,6,6]
        v = F.adaptive_avg_pool3d(v, [t, 2, 2]).permute(0, 2, 1, 3, 4).reshape(b, t, 8 * 2 * 2)
        a = self.audio_proj(audio.transpose(1, 2))  # [B,T,D]; fails loudly if audio T != video T
        x = self.fuse_proj(self.fuse_norm(torch.cat([a, self.video_proj(v)], dim=-1)))
        x = x + sinusoid(torch.arange(t, device=x.device), self.dim).to(x.dtype).unsqueeze(0)
        mask = key_padding_mask(padding_mask)
        for layer in self.layers:
            x = layer(x, mask)
        x = self.final_norm(x)
        if self.has_ctc_head:
            return torch.log_softmax(self.ctc_head(x), dim=-1)  # [B,T,V]
        return x  # [B,T,D]


class DecoderLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.self_norm = nn.LayerNorm(DIM)
        self.self_attn = Attention()
        self.cross_norm = nn.LayerNorm(DIM)
        self.cross_attn = Attention()
        self.ffn_norm = nn.LayerNorm(DIM)
        self.ffn = FeedForward()


class DecoderStep(nn.Module):
    """One incremental decoder step with an explicit key/value cache (pre-LN, tied embeddings).

    forward(tokens [B,1] int64, encoder_out [1|B,T,D], cache_k/cache_v [L,B',H,S,dh],
            step [] int64, beam_origin [B] int64 = None, encoder_padding_mask [1|B,T] int64 = None)
      -> (log_probs [B,V], new_cache_k [L,B,H,S+1,dh], new_cache_v [L,B,H,S+1,dh])

    beam_origin[i] is the row of the incoming cache that hypothesis i extends (B' may differ from B);
    reordering happens here so it stays on the model's device.

    The device decoder (formatVersion 2) uses three more methods, so nothing but tokens and
    log-probabilities crosses to the host:
      cross_kv(encoder_out [N,T,D], encoder_padding_mask [N,T] = None)
        -> (memory_k, memory_v [L,N,H,T,dh], memory_bias [N,1,1,T]: 0, or -inf on padding)
           cross-attention keys and values, once per chunk
      select_memory(memory_k, memory_v, memory_bias, index [N']) -> the chunks `index` keeps
      step(tokens [N*R,1], memory_k, memory_v, memory_bias, cache_k, cache_v, position [],
           beam_origin [N*R] = None) -> (log_probs [N*R,V], new_cache_k, new_cache_v)
           R rows (hypotheses) per chunk, chunk n owning rows n*R .. n*R+R-1
    Every float tensor follows the module's dtype (float32, or float16/bfloat16 after .to()).
    """

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, DIM, padding_idx=PAD)
        self.layers = nn.ModuleList([DecoderLayer() for _ in range(DECODER_LAYERS)])
        self.final_norm = nn.LayerNorm(DIM)
        self.output_bias = nn.Parameter(torch.zeros(vocab_size))
        self.dim = DIM

    def embed_tokens(self, tokens: Tensor, positions: Tensor) -> Tensor:
        embedded = self.embed(tokens)
        return embedded * math.sqrt(float(self.dim)) + sinusoid(positions, self.dim).to(embedded.dtype).unsqueeze(0)

    def project(self, x: Tensor) -> Tensor:
        return torch.log_softmax(F.linear(self.final_norm(x), self.embed.weight, self.output_bias).float(), dim=-1)

    def forward(
        self,
        tokens: Tensor,
        encoder_out: Tensor,
        cache_k: Tensor,
        cache_v: Tensor,
        step: Tensor,
        beam_origin: Optional[Tensor] = None,
        encoder_padding_mask: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Tensor, Tensor]:
        if beam_origin is not None:
            cache_k = cache_k.index_select(1, beam_origin)
            cache_v = cache_v.index_select(1, beam_origin)
        b = tokens.size(0)
        memory = encoder_out.expand(b, encoder_out.size(1), encoder_out.size(2))
        cross_mask = key_padding_mask(encoder_padding_mask)
        x = self.embed_tokens(tokens, step.reshape(1))  # [B,1,D]
        new_k: List[Tensor] = []
        new_v: List[Tensor] = []
        for index, layer in enumerate(self.layers):
            h = layer.self_norm(x)
            attn = layer.self_attn
            k = torch.cat([cache_k[index], attn.split(attn.k(h))], dim=2)
            v = torch.cat([cache_v[index], attn.split(attn.v(h))], dim=2)
            new_k.append(k)
            new_v.append(v)
            x = x + attn.attend(attn.split(attn.q(h)), k, v, None)
            x = x + layer.cross_attn(layer.cross_norm(x), memory, cross_mask)
            x = x + layer.ffn(layer.ffn_norm(x))
        return self.project(x).squeeze(1), torch.stack(new_k), torch.stack(new_v)

    @torch.jit.export
    def cross_kv(self, encoder_out: Tensor, encoder_padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        memory = encoder_out.to(self.embed.weight.dtype)
        keys: List[Tensor] = []
        values: List[Tensor] = []
        for layer in self.layers:
            attn = layer.cross_attn
            keys.append(attn.split(attn.k(memory)))
            values.append(attn.split(attn.v(memory)))
        n, t = memory.size(0), memory.size(1)
        bias = torch.zeros(n, 1, 1, t, dtype=memory.dtype, device=memory.device)
        if encoder_padding_mask is not None:
            bias = bias.masked_fill((encoder_padding_mask != 0).view(n, 1, 1, t), float("-inf"))
        return torch.stack(keys), torch.stack(values), bias

    @torch.jit.export
    def select_memory(self, memory_k: Tensor, memory_v: Tensor, memory_bias: Tensor, index: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        return memory_k.index_select(1, index), memory_v.index_select(1, index), memory_bias.index_select(0, index)

    @torch.jit.export
    def step(
        self,
        tokens: Tensor,
        memory_k: Tensor,
        memory_v: Tensor,
        memory_bias: Tensor,
        cache_k: Tensor,
        cache_v: Tensor,
        position: Tensor,
        beam_origin: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Tensor, Tensor]:
        cache_k = cache_k.to(self.embed.weight.dtype)
        cache_v = cache_v.to(self.embed.weight.dtype)
        if beam_origin is not None:
            cache_k = cache_k.index_select(1, beam_origin)
            cache_v = cache_v.index_select(1, beam_origin)
        b = tokens.size(0)
        n = memory_k.size(1)
        rows = b // n
        x = self.embed_tokens(tokens, position.reshape(1))  # [B,1,D]
        new_k: List[Tensor] = []
        new_v: List[Tensor] = []
        for index, layer in enumerate(self.layers):
            h = layer.self_norm(x)
            attn = layer.self_attn
            k = torch.cat([cache_k[index], attn.split(attn.k(h))], dim=2)
            v = torch.cat([cache_v[index], attn.split(attn.v(h))], dim=2)
            new_k.append(k)
            new_v.append(v)
            x = x + attn.attend(attn.split(attn.q(h)), k, v, None)
            cross = layer.cross_attn
            # [B,1,D] -> [N,H,R,dh]: each chunk's rows attend to that chunk's memory only.
            q = cross.q(layer.cross_norm(x)).view(n, rows, cross.heads, cross.head_dim).transpose(1, 2)
            scores = torch.matmul(q, memory_k[index].transpose(-1, -2)) / math.sqrt(float(cross.head_dim)) + memory_bias
            weights = torch.softmax(scores, dim=-1)
            attended = torch.matmul(weights, memory_v[index]).transpose(1, 2).reshape(b, 1, cross.dim)
            x = x + cross.out(attended)
            x = x + layer.ffn(layer.ffn_norm(x))
        return self.project(x).squeeze(1), torch.stack(new_k), torch.stack(new_v)

    @torch.jit.unused
    def teacher_forced(self, tokens: Tensor, encoder_out: Tensor) -> Tensor:
        """Training path: all positions at once with a causal mask -> log-probs [B,S,V]."""
        s = tokens.size(1)
        x = self.embed_tokens(tokens, torch.arange(s))
        causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        for layer in self.layers:
            h = layer.self_norm(x)
            x = x + layer.self_attn(h, h, causal)
            x = x + layer.cross_attn(layer.cross_norm(x), encoder_out, None)
            x = x + layer.ffn(layer.ffn_norm(x))
        return self.project(x)


def make_batch(generator: torch.Generator, batch: int, min_frames: int, max_frames: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Random clips: bright (label 1) or dark (label 0) noisy video, noise audio."""
    frames = int(torch.randint(min_frames, max_frames + 1, (1,), generator=generator))
    labels = torch.randint(0, 2, (batch,), generator=generator)
    level = (labels.to(torch.float32) * 2 - 1) * 0.6
    video = torch.randn(batch, 1, frames, VIDEO_SIZE, VIDEO_SIZE, generator=generator) + level.view(batch, 1, 1, 1, 1)
    audio = torch.randn(batch, AUDIO_DIM, frames, generator=generator)
    return video, audio, labels


def sentence_ids(label: int) -> List[int]:
    return [PIECE_ID[p] for p in (BRIGHT_SENTENCE if label == 1 else DARK_SENTENCE)]


def train_seq2seq(steps: int) -> Tuple[Encoder, DecoderStep]:
    generator = torch.Generator().manual_seed(SEED)
    encoder, decoder = Encoder(), DecoderStep(len(PIECES))
    with torch.no_grad():
        decoder.output_bias[BOS] = -10.0  # never emitted: fairseq masks them too
        decoder.output_bias[PAD] = -10.0
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=3e-3)
    max_len = max(len(BRIGHT_SENTENCE), len(DARK_SENTENCE)) + 1
    for _ in range(steps):
        video, audio, labels = make_batch(generator, 16, 14, 26)
        targets = torch.full((len(labels), max_len), PAD, dtype=torch.long)
        for row, label in enumerate(labels.tolist()):
            ids = sentence_ids(label) + [EOS]
            targets[row, : len(ids)] = torch.tensor(ids)
        # fairseq feeds </s> as the first decoder token (SequenceGenerator's default bos).
        inputs = torch.cat([torch.full((len(labels), 1), EOS, dtype=torch.long), targets[:, :-1]], dim=1)
        log_probs = decoder.teacher_forced(inputs, encoder(video, audio))
        loss = F.nll_loss(log_probs.reshape(-1, len(PIECES)), targets.reshape(-1), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"seq2seq: final loss {loss.item():.4f}")
    return encoder.eval(), decoder.eval()


def train_ctc(steps: int) -> Encoder:
    generator = torch.Generator().manual_seed(SEED + 1)
    encoder = Encoder(ctc_vocab=len(PIECES))
    optimizer = torch.optim.Adam(encoder.parameters(), lr=3e-3)
    for _ in range(steps):
        video, audio, labels = make_batch(generator, 16, 24, 36)
        targets = [torch.tensor(sentence_ids(label)) for label in labels.tolist()]
        log_probs = encoder(video, torch.zeros_like(audio))  # vsr: audio absent
        loss = F.ctc_loss(
            log_probs.transpose(0, 1),
            torch.cat(targets),
            torch.full((len(labels),), log_probs.size(1), dtype=torch.long),
            torch.tensor([len(t) for t in targets]),
            blank=BOS,
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"ctc: final loss {loss.item():.4f}")
    return encoder.eval()


def greedy_seq2seq(encoder: torch.jit.ScriptModule, decoder: torch.jit.ScriptModule, video: Tensor, audio: Tensor) -> List[str]:
    """Reference incremental decode through the saved TorchScript files (what the server does)."""
    encoder_out = encoder(video, audio)
    empty = torch.zeros(DECODER_LAYERS, 1, HEADS, 0, HEAD_DIM)
    cache_k, cache_v = empty, empty
    token, pieces = EOS, []
    for step in range(video.size(2)):
        log_probs, cache_k, cache_v = decoder(torch.tensor([[token]]), encoder_out, cache_k, cache_v, torch.tensor(step))
        token = int(log_probs[0].argmax())
        if token == EOS:
            break
        pieces.append(PIECES[token])
    return pieces


def greedy_seq2seq_device(encoder: torch.jit.ScriptModule, decoder: torch.jit.ScriptModule, video: Tensor, audio: Tensor) -> List[str]:
    """The same decode through the device methods: cross_kv once, then step with 2 rows per chunk."""
    memory_k, memory_v, memory_bias = decoder.cross_kv(encoder(video, audio))
    rows = 2
    cache_k = cache_v = torch.zeros(DECODER_LAYERS, rows, HEADS, 0, HEAD_DIM)
    token, pieces = EOS, []
    for step in range(video.size(2)):
        tokens = torch.tensor([[token]] * rows)
        log_probs, cache_k, cache_v = decoder.step(tokens, memory_k, memory_v, memory_bias, cache_k, cache_v, torch.tensor(step))
        token = int(log_probs[0].argmax())
        if token == EOS:
            break
        pieces.append(PIECES[token])
    return pieces


def greedy_ctc(encoder: torch.jit.ScriptModule, video: Tensor) -> List[str]:
    best = encoder(video, torch.zeros(1, AUDIO_DIM, video.size(2)))[0].argmax(dim=-1).tolist()
    pieces, previous = [], BOS
    for token in best:
        if token != previous and token != BOS:
            pieces.append(PIECES[token])
        previous = token
    return pieces


def check_clip(level: float, frames: int) -> Tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(SEED + 7)
    video = torch.randn(1, 1, frames, VIDEO_SIZE, VIDEO_SIZE, generator=generator) * 0.5 + level
    return video, torch.randn(1, AUDIO_DIM, frames, generator=generator)


def manifest(name: str, mode: str, output: str) -> dict:
    common = {
        "format": "gorggle-avhubert-package",
        # 2: decoder_step.pt also has cross_kv / select_memory / step (the device decoder)
        "formatVersion": 2 if output == "seq2seq" else 1,
        "name": name,
        "mode": mode,
        "output": output,
        "files": {"encoder": "encoder.pt", "vocab": "vocab.txt"},
        "input": {
            "fps": 25,
            "video": {"size": VIDEO_SIZE, "mean": 0.421, "std": 0.165},
            "audio": {"dim": AUDIO_DIM, "rateHz": 25},
        },
        "encoder": {"dim": DIM},
        "vocabSize": len(PIECES),
        "specialIds": {"bos": BOS, "pad": PAD, "eos": EOS, "unk": UNK},
        "decoding": {"beam": 5, "lenPenalty": 1.0, "maxLength": {"perFrame": 1.0, "offset": 0}},
    }
    if output == "seq2seq":
        common["files"]["decoderStep"] = "decoder_step.pt"
        common["decoder"] = {"layers": DECODER_LAYERS, "heads": HEADS, "headDim": HEAD_DIM, "startTokenId": EOS}
    else:
        common["ctc"] = {"blankId": BOS}
    return common


def write_package(target: str, files: dict) -> None:
    """Writes into a sibling temp folder and swaps it in, so a half-written package never exists."""
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".staging-", dir=parent)
    for name, writer in files.items():
        writer(os.path.join(staging, name))
    if os.path.exists(target):
        shutil.rmtree(target)
    os.chmod(staging, 0o755)
    os.rename(staging, target)


def write_json(data: dict):
    def writer(path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")

    return writer


def write_vocab(path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(PIECES) + "\n")


def save_script(module: torch.jit.ScriptModule):
    return lambda path: module.save(path)


def expect(actual: List[str], expected: List[str], what: str) -> None:
    if actual != expected:
        sys.exit(f"make_test_model: {what} decoded {actual}, expected {expected}: training did not converge")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="folder for the packages")
    parser.add_argument("--steps", type=int, default=200, help="training steps per model")
    args = parser.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(min(2, os.cpu_count() or 1))

    encoder, decoder = train_seq2seq(args.steps)
    scripted_encoder, scripted_decoder = torch.jit.script(encoder), torch.jit.script(decoder)
    with tempfile.TemporaryDirectory() as scratch:
        # Check through saved-and-reloaded files: exactly what the addon will load.
        scripted_encoder.save(os.path.join(scratch, "e.pt"))
        scripted_decoder.save(os.path.join(scratch, "d.pt"))
        reloaded_encoder = torch.jit.load(os.path.join(scratch, "e.pt"))
        reloaded_decoder = torch.jit.load(os.path.join(scratch, "d.pt"))
        with torch.no_grad():
            expect(greedy_seq2seq(reloaded_encoder, reloaded_decoder, *check_clip(0.6, 30)), BRIGHT_SENTENCE, "seq2seq bright")
            expect(greedy_seq2seq(reloaded_encoder, reloaded_decoder, *check_clip(-0.6, 30)), DARK_SENTENCE, "seq2seq dark")
            expect(greedy_seq2seq_device(reloaded_encoder, reloaded_decoder, *check_clip(0.6, 30)), BRIGHT_SENTENCE, "seq2seq device bright")
            expect(greedy_seq2seq_device(reloaded_encoder, reloaded_decoder, *check_clip(-0.6, 30)), DARK_SENTENCE, "seq2seq device dark")
    write_package(
        os.path.join(args.out, "test-model"),
        {
            "manifest.json": write_json(manifest("gorggle-test-seq2seq", "avsr", "seq2seq")),
            "encoder.pt": save_script(scripted_encoder),
            "decoder_step.pt": save_script(scripted_decoder),
            "vocab.txt": write_vocab,
        },
    )

    ctc_encoder = torch.jit.script(train_ctc(args.steps))
    with torch.no_grad():
        expect(greedy_ctc(ctc_encoder, check_clip(0.6, 30)[0]), BRIGHT_SENTENCE, "ctc bright")
        expect(greedy_ctc(ctc_encoder, check_clip(-0.6, 30)[0]), DARK_SENTENCE, "ctc dark")
    write_package(
        os.path.join(args.out, "test-model-ctc"),
        {
            "manifest.json": write_json(manifest("gorggle-test-ctc", "vsr", "ctc")),
            "encoder.pt": save_script(ctc_encoder),
            "vocab.txt": write_vocab,
        },
    )
    print(f"wrote {args.out}/test-model and {args.out}/test-model-ctc")


if __name__ == "__main__":
    main()
