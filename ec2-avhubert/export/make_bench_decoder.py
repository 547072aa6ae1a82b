"""Writes an AV-HuBERT-Large-shaped decoder_step.pt with random weights, for the decode benchmark.

  python3 make_bench_decoder.py --out DIR

The export tool's own DecoderStep (torchscript_model.py) at Large's real size: 9 layers, 1024
wide, 4096 feed-forward, 8 heads, a 1000-piece vocabulary (about 600 MB). Random weights: the
benchmark times decoder steps, whose cost does not depend on what the weights say.
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import torch  # noqa: E402

from fairseq_checkpoint import Architecture  # noqa: E402
from torchscript_model import DecoderStep  # noqa: E402

LARGE = dict(decoder_layers=9, decoder_dim=1024, decoder_ffn=4096, decoder_heads=8, vocab_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    arch = Architecture(
        encoder_layers=0, encoder_dim=LARGE["decoder_dim"], encoder_ffn=0, encoder_heads=16, encoder_activation="gelu",
        conv_pos=0, conv_pos_groups=0, resnet_widths=[], audio_dim=104, padding_idx=1, embed_scale=1.0, modalities=["video"],
        **LARGE,
    )
    decoder = DecoderStep(arch).eval()
    with torch.no_grad():
        for parameter in decoder.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, 0.02)
    torch.jit.script(decoder).save(os.path.join(out, "decoder_step.pt"))
    shape = {"layers": arch.decoder_layers, "dim": arch.decoder_dim, "heads": arch.decoder_heads, "vocab": arch.vocab_size}
    with open(os.path.join(out, "shape.json"), "w", encoding="utf-8") as handle:
        json.dump(shape, handle)
    print(f"wrote {out}/decoder_step.pt: {shape}")


if __name__ == "__main__":
    main()
