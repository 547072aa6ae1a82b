"""An eager reference of AV-HuBERT seq2seq laid out the way fairseq builds it, for verification.

It is deliberately a different code path from torchscript_model.py: time-major (T x B x C)
tensors, fairseq's MultiheadAttention arithmetic (bmm over batch*heads, additive causal mask),
the positional convolution kept under torch's weight_norm, and the decoder run over the whole
prefix with a causal mask (no cache). Its state-dict keys are the checkpoint's own
(encoder.w2v_model.*, decoder.*), so it loads a checkpoint with load_state_dict(strict=True).
It is used by verify_export.py and by make_synthetic_checkpoint.py; export does not depend on it.
"""

import math
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fairseq_checkpoint import Architecture


class MultiheadAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.scaling = self.head_dim**-0.5
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, query: Tensor, key: Tensor, key_padding_mask: Optional[Tensor] = None, attn_mask: Optional[Tensor] = None) -> Tensor:
        tgt_len, bsz, dim = query.shape
        q = self.q_proj(query) * self.scaling
        k, v = self.k_proj(key), self.v_proj(key)
        q = q.contiguous().view(tgt_len, bsz * self.heads, self.head_dim).transpose(0, 1)
        k = k.contiguous().view(-1, bsz * self.heads, self.head_dim).transpose(0, 1)
        v = v.contiguous().view(-1, bsz * self.heads, self.head_dim).transpose(0, 1)
        weights = torch.bmm(q, k.transpose(1, 2))
        if attn_mask is not None:
            weights = weights + attn_mask.unsqueeze(0)
        if key_padding_mask is not None:
            weights = weights.view(bsz, self.heads, tgt_len, -1)
            weights = weights.masked_fill(key_padding_mask.unsqueeze(1).unsqueeze(2).bool(), float("-inf"))
            weights = weights.view(bsz * self.heads, tgt_len, -1)
        probs = F.softmax(weights.float(), dim=-1).type_as(weights)
        out = torch.bmm(probs, v).transpose(0, 1).contiguous().view(tgt_len, bsz, dim)
        return self.out_proj(out)


class SamePad(nn.Module):
    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.remove = 1 if kernel_size % 2 == 0 else 0

    def forward(self, x: Tensor) -> Tensor:
        return x[:, :, : -self.remove] if self.remove > 0 else x


class EncoderLayer(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        dim = arch.encoder_dim
        self.activation = F.gelu if arch.encoder_activation == "gelu" else F.relu
        self.self_attn = MultiheadAttention(dim, arch.encoder_heads)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, arch.encoder_ffn), nn.Linear(arch.encoder_ffn, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor, padding_mask: Optional[Tensor]) -> Tensor:  # layer_norm_first
        h = self.self_attn_layer_norm(x)
        x = x + self.self_attn(h, h, key_padding_mask=padding_mask)
        return x + self.fc2(self.activation(self.fc1(self.final_layer_norm(x))))


class TransformerEncoder(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        dim = arch.encoder_dim
        conv = nn.Conv1d(dim, dim, kernel_size=arch.conv_pos, padding=arch.conv_pos // 2, groups=arch.conv_pos_groups)
        self.pos_conv = nn.Sequential(nn.utils.weight_norm(conv, name="weight", dim=2), SamePad(arch.conv_pos), nn.GELU())
        self.layers = nn.ModuleList([EncoderLayer(arch) for _ in range(arch.encoder_layers)])
        self.layer_norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor, padding_mask: Optional[Tensor]) -> Tensor:  # B x T x C
        if padding_mask is not None:
            x = x.clone()
            x[padding_mask] = 0
        x = x + self.pos_conv(x.transpose(1, 2)).transpose(1, 2)
        x = x.transpose(0, 1)
        for layer in self.layers:
            x = layer(x, padding_mask)
        return self.layer_norm(x.transpose(0, 1))


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1, self.relu1 = nn.BatchNorm2d(planes), nn.PReLU(num_parameters=planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2, self.relu2 = nn.BatchNorm2d(planes), nn.PReLU(num_parameters=planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x: Tensor) -> Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + residual)


class ResNet(nn.Module):
    def __init__(self, widths: List[int]) -> None:
        super().__init__()
        strides = [1, 2, 2, 2]
        for index in range(4):
            blocks = [BasicBlock(widths[index], widths[index + 1], strides[index]), BasicBlock(widths[index + 1], widths[index + 1], 1)]
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: Tensor) -> Tensor:
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).view(x.size(0), -1)


class ResEncoder(nn.Module):
    def __init__(self, widths: List[int]) -> None:
        super().__init__()
        self.frontend3D = nn.Sequential(
            nn.Conv3d(1, widths[0], kernel_size=(5, 7, 7), stride=(1, 2, 2), padding=(2, 3, 3), bias=False),
            nn.BatchNorm3d(widths[0]),
            nn.PReLU(num_parameters=widths[0]),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        )
        self.trunk = ResNet(widths)

    def forward(self, x: Tensor) -> Tensor:
        batch = x.size(0)
        x = self.frontend3D(x)
        frames = x.shape[2]
        x = x.transpose(1, 2).contiguous().reshape(batch * frames, x.size(1), x.size(3), x.size(4))
        x = self.trunk(x)
        return x.view(batch, frames, x.size(1)).transpose(1, 2).contiguous()


class SubModel(nn.Module):
    def __init__(self, resnet: Optional[nn.Module], input_dim: int, dim: int) -> None:
        super().__init__()
        self.resnet = resnet
        self.proj = nn.Linear(input_dim, dim)

    def forward(self, x: Tensor) -> Tensor:  # -> B x D x T
        if self.resnet is not None:
            x = self.resnet(x)
        return self.proj(x.transpose(1, 2)).transpose(1, 2)


class AVHubertModel(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        dim = arch.encoder_dim
        self.feature_extractor_audio = SubModel(None, arch.audio_dim, dim)
        self.feature_extractor_video = SubModel(ResEncoder(arch.resnet_widths), arch.resnet_widths[4], dim)
        self.post_extract_proj = nn.Linear(2 * dim, dim)
        self.mask_emb = nn.Parameter(torch.zeros(arch.audio_dim).uniform_())
        self.encoder = TransformerEncoder(arch)
        self.layer_norm = nn.LayerNorm(2 * dim)
        self.label_embs_concat = nn.Parameter(torch.zeros(10, 8).uniform_())  # pre-training targets, unused

    def extract_finetune(self, audio: Optional[Tensor], video: Optional[Tensor], padding_mask: Optional[Tensor]) -> Tensor:
        if video is not None:
            features_video = self.feature_extractor_video(video)
        if audio is not None:
            features_audio = self.feature_extractor_audio(audio)
        if audio is None:
            features_audio = features_video.new_zeros(features_video.shape)
        if video is None:
            features_video = features_audio.new_zeros(features_audio.shape)
        features = torch.cat([features_audio, features_video], dim=1).transpose(1, 2)
        features = self.post_extract_proj(self.layer_norm(features))
        return self.encoder(features, padding_mask)


class EncoderWrapper(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.w2v_model = AVHubertModel(arch)


class SinusoidalPositions(nn.Module):
    def __init__(self, dim: int, padding_idx: int, max_positions: int = 2048) -> None:
        super().__init__()
        self.dim, self.padding_idx = dim, padding_idx
        self.register_buffer("_float_tensor", torch.FloatTensor(1))
        self.weights = self.table(max_positions + padding_idx + 1)

    def table(self, count: int) -> Tensor:
        half = self.dim // 2
        scale = math.log(10000) / (half - 1)
        frequencies = torch.exp(torch.arange(half, dtype=torch.float) * -scale)
        angles = torch.arange(count, dtype=torch.float).unsqueeze(1) * frequencies.unsqueeze(0)
        table = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1).view(count, -1)
        if self.dim % 2 == 1:
            table = torch.cat([table, torch.zeros(count, 1)], dim=1)
        table[self.padding_idx, :] = 0
        return table

    def forward(self, tokens: Tensor) -> Tensor:
        mask = tokens.ne(self.padding_idx).int()
        positions = (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + self.padding_idx
        return self.weights.index_select(0, positions.view(-1)).view(tokens.size(0), tokens.size(1), -1)


class DecoderLayer(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        dim = arch.decoder_dim
        self.self_attn = MultiheadAttention(dim, arch.decoder_heads)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.encoder_attn = MultiheadAttention(dim, arch.decoder_heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, arch.decoder_ffn), nn.Linear(arch.decoder_ffn, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor, encoder_out: Tensor, encoder_padding_mask: Optional[Tensor], self_attn_mask: Tensor) -> Tensor:
        h = self.self_attn_layer_norm(x)
        x = x + self.self_attn(h, h, attn_mask=self_attn_mask)
        x = x + self.encoder_attn(self.encoder_attn_layer_norm(x), encoder_out, key_padding_mask=encoder_padding_mask)
        return x + self.fc2(F.relu(self.fc1(self.final_layer_norm(x))))


class TransformerDecoder(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(arch.vocab_size, arch.decoder_dim, padding_idx=arch.padding_idx)
        self.embed_positions = SinusoidalPositions(arch.decoder_dim, arch.padding_idx)
        self.embed_scale = arch.embed_scale
        self.layers = nn.ModuleList([DecoderLayer(arch) for _ in range(arch.decoder_layers)])
        self.layer_norm = nn.LayerNorm(arch.decoder_dim)

    def forward(self, prev_output_tokens: Tensor, encoder_out: Tensor, encoder_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Whole prefix at once -> log-probs [B, S, V]. encoder_out is B x T x C."""
        x = self.embed_scale * self.embed_tokens(prev_output_tokens) + self.embed_positions(prev_output_tokens)
        x = x.transpose(0, 1)
        length = x.size(0)
        future = torch.triu(torch.full((length, length), float("-inf")), 1)
        memory = encoder_out.transpose(0, 1)
        for layer in self.layers:
            x = layer(x, memory, encoder_padding_mask, future)
        x = self.layer_norm(x).transpose(0, 1)
        return F.log_softmax(torch.matmul(x, self.embed_tokens.weight.transpose(0, 1)).float(), dim=-1)


class AVHubertSeq2Seq(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.encoder = EncoderWrapper(arch)
        self.decoder = TransformerDecoder(arch)

    def encode(self, audio: Optional[Tensor], video: Optional[Tensor], padding_mask: Optional[Tensor] = None) -> Tensor:
        return self.encoder.w2v_model.extract_finetune(audio, video, padding_mask)


def load_reference(arch: Architecture, model_state: Dict[str, Tensor]) -> AVHubertSeq2Seq:
    reference = AVHubertSeq2Seq(arch)
    reference.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in model_state.items()}, strict=True)
    return reference.eval()
