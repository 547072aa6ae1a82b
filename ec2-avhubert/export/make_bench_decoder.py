"""Writes an AV-HuBERT-Large-shaped decoder_step.pt with random weights, for the decode benchmark.

  python3 make_bench_decoder.py --out DIR [--width 1024]

The export tool's own DecoderStep (torchscript_model.py) with Large's depth and heads: 9 layers,
8 heads, a 1000-piece vocabulary, feed-forward 4x the width. --width 1024 is Large's real size
(about 600 MB); narrower keeps the before/after ratio (both sides scale with width squared) and
finishes on a CPU without a fast BLAS. Random weights: the benchmark times decoder steps, whose
cost does not depend on what the weights say.
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import torch  # noqa: E402

from fairseq_checkpoint import Architecture  # noqa: E402
from torchscript_model import DecoderStep  # noqa: E402

LARGE = dict(decoder_layers=9, decoder_heads=8, vocab_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--width", type=int, default=1024, help="decoder width (Large: 1024)")
    args = parser.parse_args()
    out, width = args.out, args.width
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    arch = Architecture(
        encoder_layers=0, encoder_dim=width, encoder_ffn=0, encoder_heads=16, encoder_activation="gelu",
        conv_pos=0, conv_pos_groups=0, resnet_widths=[], audio_dim=104, padding_idx=1, embed_scale=1.0, modalities=["video"],
        decoder_dim=width, decoder_ffn=4 * width, **LARGE,
    )
    decoder = DecoderStep(arch).eval()
    with torch.no_grad():
        for parameter in decoder.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, 0.02)
    torch.jit.script(decoder).save(os.path.join(out, "decoder_step.pt"))
    shape = {"layers": arch.decoder_layers, "dim": arch.decoder_dim, "heads": arch.decoder_heads, "vocab": arch.vocab_size, "ffn": arch.decoder_ffn}
    with open(os.path.join(out, "shape.json"), "w", encoding="utf-8") as handle:
        json.dump(shape, handle)
    print(f"wrote {out}/decoder_step.pt: {shape}")


if __name__ == "__main__":
    main()
