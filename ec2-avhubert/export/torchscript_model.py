"""AV-HuBERT seq2seq rebuilt for TorchScript, in the model package contract
(ec2-avhubert/src/model/manifest.ts): an encoder over [video, audio] and one decoder step with an
explicit key/value cache.

Attribute names follow fairseq's, so a checkpoint key maps by dropping its prefix
(encoder.w2v_model. / decoder.); the one exception is the positional convolution, whose weight
norm is folded into a plain weight at export.
"""

import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fairseq_checkpoint import Architecture

LAYER_NORM_EPS = 1e-5  # fairseq LayerNorm = torch LayerNorm with its default eps


class BasicBlock(nn.Module):
    """ResNet-18 block with PReLU, as av_hubert/resnet.py."""

    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.PReLU(planes)
        self.downsample = (
            nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
            if stride != 1 or inplanes != planes
            else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.downsample(x))


class Trunk(nn.Module):
    def __init__(self, widths: List[int]) -> None:
        super().__init__()
        self.layer1 = self._layer(widths[0], widths[1], 1)
        self.layer2 = self._layer(widths[1], widths[2], 2)
        self.layer3 = self._layer(widths[2], widths[3], 2)
        self.layer4 = self._layer(widths[3], widths[4], 2)

    @staticmethod
    def _layer(inplanes: int, planes: int, stride: int) -> nn.Sequential:
        return nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes, 1))

    def forward(self, x: Tensor) -> Tensor:
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class ResEncoder(nn.Module):
    def __init__(self, widths: List[int]) -> None:
        super().__init__()
        self.frontend3D = nn.Sequential(
            nn.Conv3d(1, widths[0], (5, 7, 7), (1, 2, 2), (2, 3, 3), bias=False),
            nn.BatchNorm3d(widths[0]),
            nn.PReLU(widths[0]),
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
        )
        self.trunk = Trunk(widths)

    def forward(self, video: Tensor) -> Tensor:
        """[B,1,T,H,W] -> [B,T,C] (one 2D ResNet pass per frame)."""
        x = self.frontend3D(video)
        b, c, t, h, w = x.shape
        x = self.trunk(x.transpose(1, 2).reshape(b * t, c, h, w))
        return x.view(b, t, -1)


class VideoFeatures(nn.Module):
    def __init__(self, widths: List[int], dim: int) -> None:
        super().__init__()
        self.resnet = ResEncoder(widths)
        self.proj = nn.Linear(widths[4], dim)

    def forward(self, video: Tensor) -> Tensor:
        return self.proj(self.resnet(video))


class AudioFeatures(nn.Module):
    def __init__(self, audio_dim: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(audio_dim, dim)

    def forward(self, audio: Tensor) -> Tensor:
        return self.proj(audio.transpose(1, 2))  # [B,F,T] -> [B,T,D]


class Attention(nn.Module):
    """fairseq MultiheadAttention, batch-first: q is scaled by head_dim^-0.5 after its bias."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.q_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        self.heads = heads
        self.head_dim = dim // heads
        self.scaling = float(self.head_dim) ** -0.5

    def split(self, x: Tensor) -> Tensor:
        """[B,T,D] -> [B,H,T,dh]"""
        return x.view(x.size(0), x.size(1), self.heads, self.head_dim).transpose(1, 2)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, key_padding: Optional[Tensor]) -> Tensor:
        """q [B,H,Tq,dh] (scaled), k/v [B,H,Tk,dh], key_padding [B|1,1,1,Tk] bool (True = hidden)."""
        scores = torch.matmul(q, k.transpose(-1, -2))
        if key_padding is not None:
            scores = scores.masked_fill(key_padding, float("-inf"))
        weights = torch.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(weights, v).transpose(1, 2)
        return self.out_proj(out.reshape(out.size(0), out.size(1), self.heads * self.head_dim))

    def forward(self, x: Tensor, key_padding: Optional[Tensor]) -> Tensor:
        q = self.split(self.q_proj(x) * self.scaling)
        return self.attend(q, self.split(self.k_proj(x)), self.split(self.v_proj(x)), key_padding)


class EncoderLayer(nn.Module):
    """wav2vec2 TransformerSentenceEncoderLayer with layer_norm_first=True."""

    def __init__(self, dim: int, ffn: int, heads: int, gelu: bool) -> None:
        super().__init__()
        self.self_attn = Attention(dim, heads)
        self.self_attn_layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.fc1 = nn.Linear(dim, ffn)
        self.fc2 = nn.Linear(ffn, dim)
        self.final_layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.gelu = gelu

    def forward(self, x: Tensor, key_padding: Optional[Tensor]) -> Tensor:
        x = x + self.self_attn(self.self_attn_layer_norm(x), key_padding)
        h = self.fc1(self.final_layer_norm(x))
        h = F.gelu(h) if self.gelu else F.relu(h)
        return x + self.fc2(h)


class TransformerEncoder(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        dim = arch.encoder_dim
        self.pos_conv = nn.Conv1d(dim, dim, arch.conv_pos, padding=arch.conv_pos // 2, groups=arch.conv_pos_groups)
        # SamePad: an even kernel with padding k//2 yields one frame too many
        self.pos_trim = 1 if arch.conv_pos % 2 == 0 else 0
        if arch.encoder_activation not in ("gelu", "relu"):
            raise ValueError(f"encoder activation {arch.encoder_activation} is not supported (AV-HuBERT uses gelu)")
        self.layers = nn.ModuleList(
            [EncoderLayer(dim, arch.encoder_ffn, arch.encoder_heads, arch.encoder_activation == "gelu") for _ in range(arch.encoder_layers)]
        )
        self.layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)

    def forward(self, x: Tensor, padding: Optional[Tensor]) -> Tensor:
        key_padding: Optional[Tensor] = None
        if padding is not None:
            x = x.masked_fill(padding.unsqueeze(-1), 0.0)
            key_padding = padding.unsqueeze(1).unsqueeze(2)
        positional = self.pos_conv(x.transpose(1, 2))
        if self.pos_trim > 0:
            positional = positional[:, :, : -self.pos_trim]
        x = x + F.gelu(positional).transpose(1, 2)
        for layer in self.layers:
            x = layer(x, key_padding)
        return self.layer_norm(x)


def present(x: Tensor) -> Tensor:
    """[B,...] -> [B,1,1] in x's dtype: 0 where the whole sample is zeros (the contract's absent modality)."""
    return (x.reshape(x.size(0), -1).abs().amax(dim=1) > 0).to(x.dtype).view(-1, 1, 1)


class AVHubertEncoder(nn.Module):
    """forward(video [B,1,T,88,88], audio [B,104,T], padding_mask [B,T] int64 = None) -> [B,T,D].

    AV-HuBERT zero-fills the features of a missing modality (extract_finetune); the server passes a
    missing modality as zeros, so an all-zero input is treated as missing. A vsr export never
    uses audio, as a model fine-tuned on video alone never saw it.
    """

    def __init__(self, arch: Architecture, use_audio: bool) -> None:
        super().__init__()
        dim = arch.encoder_dim
        self.feature_extractor_audio = AudioFeatures(arch.audio_dim, dim)
        self.feature_extractor_video = VideoFeatures(arch.resnet_widths, dim)
        self.layer_norm = nn.LayerNorm(2 * dim, eps=LAYER_NORM_EPS)
        self.post_extract_proj = nn.Linear(2 * dim, dim)
        self.encoder = TransformerEncoder(arch)
        self.use_audio = use_audio

    def forward(self, video: Tensor, audio: Tensor, padding_mask: Optional[Tensor] = None) -> Tensor:
        video_features = self.feature_extractor_video(video)
        if self.use_audio:
            audio_features = self.feature_extractor_audio(audio) * present(audio)
            video_features = video_features * present(video)
        else:
            audio_features = torch.zeros_like(video_features)
        x = torch.cat([audio_features, video_features], dim=2)  # fairseq order: audio first
        x = self.post_extract_proj(self.layer_norm(x))
        padding: Optional[Tensor] = None
        if padding_mask is not None:
            padding = padding_mask != 0
        return self.encoder(x, padding)


class DecoderLayer(nn.Module):
    """fairseq TransformerDecoderLayer, decoder_normalize_before=True, relu."""

    def __init__(self, dim: int, ffn: int, heads: int) -> None:
        super().__init__()
        self.self_attn = Attention(dim, heads)
        self.self_attn_layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.encoder_attn = Attention(dim, heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.fc1 = nn.Linear(dim, ffn)
        self.fc2 = nn.Linear(ffn, dim)
        self.final_layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)


class DecoderStep(nn.Module):
    """One incremental step of AV-HuBERT's transformer decoder with an explicit self-attention cache.

    forward(tokens [B,1] int64, encoder_out [1|B,T,D], cache_k/cache_v [L,B',H,S,dh], step [] int64,
            beam_origin [B] int64 = None, encoder_padding_mask [1|B,T] int64 = None)
      -> (log_probs [B,V], new_cache_k [L,B,H,S+1,dh], new_cache_v)

    Cross-attention keys/values are projected from encoder_out before it is expanded to the beam,
    so a [1,T,D] encoder output costs one projection per layer and step, not one per hypothesis.

    The device decoder (package formatVersion 2) uses three more methods, so the caches stay on the
    model's device and cross-attention keys and values are computed once per chunk, as fairseq's
    incremental state does:
      cross_kv(encoder_out [N,T,D], encoder_padding_mask [N,T] = None)
        -> (memory_k, memory_v [L,N,H,T,dh], memory_bias [N,1,1,T]: 0, or -inf on padding)
      select_memory(memory_k, memory_v, memory_bias, index [N']) -> the chunks `index` keeps
      step(tokens [N*R,1], memory_k, memory_v, memory_bias, cache_k, cache_v, position [],
           beam_origin [N*R] = None) -> (log_probs float32 [N*R,V], new_cache_k, new_cache_v)
        R hypotheses per chunk, chunk n owning rows n*R .. n*R+R-1
    Float tensors follow the module's dtype (float32, or float16 on CUDA after .to()).
    """

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        dim = arch.decoder_dim
        self.embed_tokens = nn.Embedding(arch.vocab_size, dim, padding_idx=arch.padding_idx)
        self.layers = nn.ModuleList([DecoderLayer(dim, arch.decoder_ffn, arch.decoder_heads) for _ in range(arch.decoder_layers)])
        self.layer_norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.embed_scale = arch.embed_scale
        self.padding_idx = arch.padding_idx
        self.dim = dim

    def position(self, step: Tensor) -> Tensor:
        """fairseq SinusoidalPositionalEmbedding row padding_idx + 1 + step: [1, D]."""
        half = self.dim // 2
        rate = math.log(10000.0) / (half - 1)
        frequencies = torch.exp(torch.arange(half, dtype=torch.float32, device=step.device) * -rate)
        index = (step.reshape(1) + self.padding_idx + 1).to(torch.float32)
        angles = index.unsqueeze(1) * frequencies.unsqueeze(0)
        row = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
        if self.dim % 2 == 1:
            row = torch.cat([row, torch.zeros(1, 1, device=step.device)], dim=1)
        return row

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
        embedded = self.embed_tokens(tokens)
        x = self.embed_scale * embedded + self.position(step).to(embedded.dtype).unsqueeze(0)  # [B,1,D]
        cross_padding: Optional[Tensor] = None
        if encoder_padding_mask is not None:
            cross_padding = (encoder_padding_mask != 0).unsqueeze(1).unsqueeze(2)
        new_k: List[Tensor] = []
        new_v: List[Tensor] = []
        for index, layer in enumerate(self.layers):
            attn = layer.self_attn
            h = layer.self_attn_layer_norm(x)
            k = torch.cat([cache_k[index], attn.split(attn.k_proj(h))], dim=2)
            v = torch.cat([cache_v[index], attn.split(attn.v_proj(h))], dim=2)
            new_k.append(k)
            new_v.append(v)
            x = x + attn.attend(attn.split(attn.q_proj(h) * attn.scaling), k, v, None)

            cross = layer.encoder_attn
            h = layer.encoder_attn_layer_norm(x)
            memory_k = cross.split(cross.k_proj(encoder_out))
            memory_v = cross.split(cross.v_proj(encoder_out))
            memory_k = memory_k.expand(b, memory_k.size(1), memory_k.size(2), memory_k.size(3))
            memory_v = memory_v.expand(b, memory_v.size(1), memory_v.size(2), memory_v.size(3))
            x = x + cross.attend(cross.split(cross.q_proj(h) * cross.scaling), memory_k, memory_v, cross_padding)

            x = x + layer.fc2(F.relu(layer.fc1(layer.final_layer_norm(x))))
        x = self.layer_norm(x)
        logits = torch.matmul(x, self.embed_tokens.weight.t())  # shared input/output embedding, no bias
        return torch.log_softmax(logits.float(), dim=-1).squeeze(1), torch.stack(new_k), torch.stack(new_v)


    @torch.jit.export
    def cross_kv(self, encoder_out: Tensor, encoder_padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        memory = encoder_out.to(self.embed_tokens.weight.dtype)
        keys: List[Tensor] = []
        values: List[Tensor] = []
        for layer in self.layers:
            cross = layer.encoder_attn
            keys.append(cross.split(cross.k_proj(memory)))
            values.append(cross.split(cross.v_proj(memory)))
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
        dtype = self.embed_tokens.weight.dtype
        cache_k = cache_k.to(dtype)
        cache_v = cache_v.to(dtype)
        if beam_origin is not None:
            cache_k = cache_k.index_select(1, beam_origin)
            cache_v = cache_v.index_select(1, beam_origin)
        b = tokens.size(0)
        n = memory_k.size(1)
        rows = b // n
        embedded = self.embed_tokens(tokens)
        x = self.embed_scale * embedded + self.position(position).to(dtype).unsqueeze(0)  # [B,1,D]
        new_k: List[Tensor] = []
        new_v: List[Tensor] = []
        for index, layer in enumerate(self.layers):
            attn = layer.self_attn
            h = layer.self_attn_layer_norm(x)
            k = torch.cat([cache_k[index], attn.split(attn.k_proj(h))], dim=2)
            v = torch.cat([cache_v[index], attn.split(attn.v_proj(h))], dim=2)
            new_k.append(k)
            new_v.append(v)
            x = x + attn.attend(attn.split(attn.q_proj(h) * attn.scaling), k, v, None)

            cross = layer.encoder_attn
            h = layer.encoder_attn_layer_norm(x)
            # [B,1,D] -> [N,H,R,dh]: each chunk's rows attend to that chunk's memory only.
            q = (cross.q_proj(h) * cross.scaling).view(n, rows, cross.heads, cross.head_dim).transpose(1, 2)
            scores = torch.matmul(q, memory_k[index].transpose(-1, -2)) + memory_bias
            weights = torch.softmax(scores.float(), dim=-1).type_as(scores)
            attended = torch.matmul(weights, memory_v[index]).transpose(1, 2).reshape(b, 1, cross.heads * cross.head_dim)
            x = x + cross.out_proj(attended)

            x = x + layer.fc2(F.relu(layer.fc1(layer.final_layer_norm(x))))
        x = self.layer_norm(x)
        logits = torch.matmul(x, self.embed_tokens.weight.t())
        return torch.log_softmax(logits.float(), dim=-1).squeeze(1), torch.stack(new_k), torch.stack(new_v)


def build(arch: Architecture, use_audio: bool) -> Tuple[AVHubertEncoder, DecoderStep]:
    return AVHubertEncoder(arch, use_audio).eval(), DecoderStep(arch).eval()


def expected_keys(module: nn.Module) -> dict:
    return {name: list(tensor.shape) for name, tensor in module.state_dict().items()}
