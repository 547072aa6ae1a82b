#!/usr/bin/env python3
"""
LR-ASD (Liao et al., "LR-ASD: Lightweight and Robust Network for Active Speaker Detection",
IJCV 2025) as ONNX for onnxruntime on a CPU.

The network is written here from the paper and the weights' input contract
(../shared/models/README.md), in two forms that share one state dict:

- `LrAsd`: the published form, parameter for parameter (3-D convolutions over
  time x height x width). It loads the upstream state dict strictly, so every key and shape is
  accounted for, and its scores are the reference.
- `LrAsdForExport`: the same arithmetic as 2-D convolutions. The visual encoder's kernels
  are (1, k, k) in space or (k, 1, 1) in time, so each is a 2-D convolution over frames or over
  time; onnxruntime's CPU kernels are much faster for 2-D than for 3-D convolutions. The audio
  pools, which upstream writes as MaxPool3d over a 4-D tensor (an ONNX MaxPool that onnxruntime
  refuses), are the equivalent MaxPool2d((1, 3), (1, 2), (0, 1)).

Inputs of the exported model: `audio` (batch, 4 x frames, 13) MFCCs at 100 Hz and `video`
(batch, frames, 112, 112) grey face crops at 25 fps, 0..255. Output: `scores` (batch, frames),
the audio-visual speaking logit of each frame (> 0: speaking).

Writes <out>/<name>.onnx, <name>.json (provenance) and <name>.parity/ (inputs and the
reference scores, which the tests compare with onnxruntime-node's).

Run with Debian's python3 and python3-torch (1.13): no other package is needed.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

import warnings

import torch
from torch import nn

# torch 1.13's exporter warns about GRU batch sizes (handled by the explicit h0) and shape inference.
warnings.filterwarnings('ignore', category=UserWarning, module=r'torch\.onnx')

BN_EPS = 1e-3  # the weights were trained with BatchNorm eps 0.001
VISUAL_MEAN, VISUAL_STD = 0.4161, 0.1688
OPSET = 14


def batch_norm(kind, channels):
    return kind(channels, eps=BN_EPS)


class FactorisedBlock(nn.Module):
    """
    Two convolutions across one set of axes, then two along another, each followed by
    batch norm and ReLU. LR-ASD's visual blocks go space then time; its audio blocks go across
    the MFCC coefficients then along time. Parameter names follow the published weights.
    """

    def __init__(self, conv, norm, first, second, in_ch, out_ch, k1, k2, stride=1):
        super().__init__()
        half = out_ch // 2
        p1, p2 = (k1 - 1) // 2, (k2 - 1) // 2
        names = (first, second)
        setattr(self, f'{names[0]}_1', conv(in_ch, half, **first_axes_kw(conv, k1, p1, stride)))
        setattr(self, f'{names[0]}_norm_1', batch_norm(norm, half))
        setattr(self, f'{names[0]}_2', conv(half, out_ch, **first_axes_kw(conv, k2, p2, 1)))
        setattr(self, f'{names[0]}_norm_2', batch_norm(norm, out_ch))
        setattr(self, f'{names[1]}_1', conv(out_ch, out_ch, **second_axes_kw(conv, k1, p1)))
        setattr(self, f'{names[1]}_norm_1', batch_norm(norm, out_ch))
        setattr(self, f'{names[1]}_2', conv(out_ch, out_ch, **second_axes_kw(conv, k2, p2)))
        setattr(self, f'{names[1]}_norm_2', batch_norm(norm, out_ch))
        self.order = [f'{names[0]}_1', f'{names[0]}_2', f'{names[1]}_1', f'{names[1]}_2']

    def forward(self, x):
        for name in self.order:
            norm = getattr(self, name.replace('_', '_norm_'))
            x = torch.relu(norm(getattr(self, name)(x)))
        return x


def first_axes_kw(conv, k, p, stride):
    if conv is nn.Conv3d:  # (time, height, width): space is (1, k, k)
        return dict(kernel_size=(1, k, k), stride=(1, stride, stride), padding=(0, p, p), bias=False)
    return dict(kernel_size=(k, 1), stride=stride, padding=(p, 0), bias=False)  # (mfcc, time)


def second_axes_kw(conv, k, p):
    if conv is nn.Conv3d:  # time is (k, 1, 1)
        return dict(kernel_size=(k, 1, 1), padding=(p, 0, 0), bias=False)
    return dict(kernel_size=(1, k), padding=(0, p), bias=False)


def visual_block(in_ch, out_ch, stride=1):
    return FactorisedBlock(nn.Conv3d, nn.BatchNorm3d, 's', 't', in_ch, out_ch, 5, 3, stride)


def audio_block(in_ch, out_ch):
    return FactorisedBlock(nn.Conv2d, nn.BatchNorm2d, 'm', 't', in_ch, out_ch, 5, 3)


class VisualEncoder(nn.Module):
    """(B, 1, T, 112, 112) -> (B, T, 128): three blocks, pooling space by 2 twice, then a global max."""

    def __init__(self):
        super().__init__()
        self.block1 = visual_block(1, 32, stride=2)
        self.block2 = visual_block(32, 64)
        self.block3 = visual_block(64, 128)
        self.pool = nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))

    def forward(self, x):
        x = self.block3(self.pool(self.block2(self.pool(self.block1(x)))))
        return torch.amax(x, dim=(3, 4)).transpose(1, 2)


class AudioEncoder(nn.Module):
    """(B, 1, 13, 4T) -> (B, T, 128): three blocks, pooling time by 2 twice, then the mean over MFCCs."""

    def __init__(self):
        super().__init__()
        self.block1 = audio_block(1, 32)
        self.block2 = audio_block(32, 64)
        self.block3 = audio_block(64, 128)
        self.pool = nn.MaxPool2d((1, 3), stride=(1, 2), padding=(0, 1))

    def forward(self, x):
        x = self.block3(self.pool(self.block2(self.pool(self.block1(x)))))
        return x.mean(dim=2).transpose(1, 2)


class ChannelGate(nn.Module):
    """Concatenates two (B, T, C) streams and weighs each channel by a learned sigmoid gate."""

    def __init__(self, channels):
        super().__init__()
        self.attention = nn.Conv1d(channels, channels, kernel_size=1, bias=False)
        self.bn = batch_norm(nn.BatchNorm1d, channels)

    def forward(self, a, b):
        x = torch.cat((a, b), dim=2).transpose(1, 2)
        return (x * torch.sigmoid(self.bn(self.attention(x)))).transpose(1, 2)


class Detector(nn.Module):
    """A forward and a backward GRU over the fused frames, gated together: (B, T, 256) -> (B, T, 128)."""

    def __init__(self, channels=256):
        super().__init__()
        hidden = channels // 4
        self.gru_forward = nn.GRU(channels, hidden, batch_first=True)
        self.gru_backward = nn.GRU(channels, hidden, batch_first=True)
        self.attention = ChannelGate(channels // 2)
        self.hidden = hidden

    def forward(self, x):
        # An explicit zero state sized from the input keeps the ONNX graph valid for any batch.
        h0 = torch.zeros(1, x.shape[0], self.hidden, dtype=x.dtype)
        ahead, _ = self.gru_forward(x, h0)
        behind, _ = self.gru_backward(torch.flip(x, dims=[1]), h0)
        return self.attention(ahead, torch.flip(behind, dims=[1]))


class Body(nn.Module):
    def __init__(self, visual_encoder):
        super().__init__()
        self.visualEncoder = visual_encoder
        self.audioEncoder = AudioEncoder()
        self.fusion = ChannelGate(256)
        self.detector = Detector(256)


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.FC = nn.Linear(128, 2)


class LrAsd(nn.Module):
    """The published network; `lossAV.FC` is the audio-visual head, `lossV.FC` the visual-only one (unused here)."""

    def __init__(self, visual_encoder=None):
        super().__init__()
        self.model = Body(visual_encoder or VisualEncoder())
        self.lossAV = Head()
        self.lossV = Head()

    def visual_input(self, video):
        return ((video / 255 - VISUAL_MEAN) / VISUAL_STD).unsqueeze(1)

    def forward(self, audio, video):
        body = self.model
        heard = body.audioEncoder(audio.unsqueeze(1).transpose(2, 3))
        seen = body.visualEncoder(self.visual_input(video))
        fused = body.detector(body.fusion(heard, seen))
        return self.lossAV.FC(fused)[..., 1]


class FrameConvs(nn.Module):
    """A visual block as 2-D convolutions: space over (B*T, C, H, W), time over (B, C, T, H*W)."""

    def __init__(self, block):
        super().__init__()
        self.layers = nn.ModuleList()
        self.over_time = []
        for name in block.order:
            conv3d = getattr(block, name)
            temporal = conv3d.kernel_size[1:] == (1, 1)
            if temporal:
                conv = nn.Conv2d(conv3d.in_channels, conv3d.out_channels, (conv3d.kernel_size[0], 1),
                                 padding=(conv3d.padding[0], 0), bias=False)
                conv.weight.data = conv3d.weight.data[..., 0].clone()
            else:
                conv = nn.Conv2d(conv3d.in_channels, conv3d.out_channels, conv3d.kernel_size[1:],
                                 stride=conv3d.stride[1:], padding=conv3d.padding[1:], bias=False)
                conv.weight.data = conv3d.weight.data[:, :, 0].clone()
            norm3d = getattr(block, name.replace('_', '_norm_'))
            norm = batch_norm(nn.BatchNorm2d, norm3d.num_features)
            norm.load_state_dict(norm3d.state_dict())
            self.layers.append(nn.Sequential(conv, norm, nn.ReLU()))
            self.over_time.append(temporal)

    def forward(self, x, frames):
        for layer, temporal in zip(self.layers, self.over_time):
            if temporal:
                bt, c, h, w = x.shape
                x = x.reshape(-1, frames, c, h * w).transpose(1, 2)
                x = layer(x).transpose(1, 2).reshape(bt, -1, h, w)
            else:
                x = layer(x)
        return x


class VisualEncoderForExport(nn.Module):
    def __init__(self, published):
        super().__init__()
        self.blocks = nn.ModuleList(FrameConvs(b) for b in (published.block1, published.block2, published.block3))
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x):
        batch, _, frames, h, w = x.shape
        x = x.transpose(1, 2).reshape(batch * frames, 1, h, w)
        x = self.pool(self.blocks[0](x, frames))
        x = self.pool(self.blocks[1](x, frames))
        x = self.blocks[2](x, frames)
        return torch.amax(x, dim=(2, 3)).reshape(batch, frames, -1)


class LrAsdForExport(LrAsd):
    def __init__(self, published):
        super().__init__(visual_encoder=VisualEncoderForExport(published.model.visualEncoder))
        own = self.state_dict()
        for key, value in published.state_dict().items():
            if key in own and not key.startswith('model.visualEncoder.'):
                own[key].copy_(value)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def load_published(weights_path):
    state = torch.load(weights_path, map_location='cpu')
    network = LrAsd()
    # strict: every tensor in the file has its place, and every place is filled
    network.load_state_dict(state, strict=True)
    return network.eval()


def parity_inputs(seed):
    """Cases the tests replay through onnxruntime: several lengths (odd ones exercise the pools' padding) and a batch."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for batch, frames in ((1, 25), (2, 13), (1, 63)):
        audio = torch.randn(batch, 4 * frames, 13, generator=generator) * 8
        # Smooth images with detail, in 0..255 like real crops.
        coarse = torch.rand(batch * frames, 1, 14, 14, generator=generator)
        video = nn.functional.interpolate(coarse, size=(112, 112), mode='bilinear', align_corners=False)
        video = video.reshape(batch, frames, 112, 112) * 200 + torch.rand(batch, frames, 112, 112, generator=generator) * 55
        cases.append((audio.contiguous(), video.contiguous()))
    return cases


def write_tensor(path, tensor):
    with open(path, 'wb') as handle:
        handle.write(tensor.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', required=True, help='the LR-ASD state dict (.model), checked by scripts/models/weights.ts')
    parser.add_argument('--name', required=True, choices=['pretrain_AVA', 'finetuning_TalkSet'])
    parser.add_argument('--out-dir', required=True)
    args = parser.parse_args()

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    published = load_published(args.weights)
    exportable = LrAsdForExport(published).eval()

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, f'{args.name}.onnx')
    parity_dir = os.path.join(args.out_dir, f'{args.name}.parity')
    os.makedirs(parity_dir, exist_ok=True)

    cases = []
    with torch.no_grad():
        for index, (audio, video) in enumerate(parity_inputs(seed=20250)):
            reference = published(audio, video)
            rewritten = exportable(audio, video)
            gap = (reference - rewritten).abs().max().item()
            if gap > 1e-4:
                sys.exit(f'The 2-D form of LR-ASD differs from the published one by {gap} on case {index}.')
            for part, tensor in (('audio', audio), ('video', video), ('scores', reference)):
                write_tensor(os.path.join(parity_dir, f'{index}.{part}.f32'), tensor)
            cases.append({'index': index, 'batch': audio.shape[0], 'frames': video.shape[1], 'torchGap': gap})

        sample_audio, sample_video = parity_inputs(seed=1)[0]
        with tempfile.NamedTemporaryFile(dir=args.out_dir, suffix='.onnx', delete=False) as staging:
            staging_path = staging.name
        torch.onnx.export(
            exportable,
            (sample_audio, sample_video),
            staging_path,
            input_names=['audio', 'video'],
            output_names=['scores'],
            dynamic_axes={'audio': {0: 'batch', 1: 'audio_frames'}, 'video': {0: 'batch', 1: 'frames'},
                          'scores': {0: 'batch', 1: 'frames'}},
            opset_version=OPSET,
            do_constant_folding=True,
        )
        os.chmod(staging_path, 0o644)
        os.replace(staging_path, onnx_path)

    manifest = {
        'model': 'lr-asd',
        'weights': args.name,
        'weightsSha256': sha256_of(args.weights),
        'onnxSha256': sha256_of(onnx_path),
        'opset': OPSET,
        'torch': torch.__version__,
        'inputs': {'audio': ['batch', '4*frames', 13], 'video': ['batch', 'frames', 112, 112]},
        'outputs': {'scores': ['batch', 'frames']},
        'parity': cases,
    }
    with open(os.path.join(parity_dir, 'cases.json'), 'w') as handle:
        json.dump(cases, handle, indent=2)
    with open(os.path.join(args.out_dir, f'{args.name}.json'), 'w') as handle:
        json.dump(manifest, handle, indent=2)
    print(f'{onnx_path}: LR-ASD {args.name}, parity cases {len(cases)}, largest 2-D/3-D gap '
          f'{max(case["torchGap"] for case in cases):.2e}')


if __name__ == '__main__':
    main()
