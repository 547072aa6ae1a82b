"""Writes small random AV-HuBERT checkpoints pickled the way fairseq pickles them, for the tests.

  python3 make_synthetic_checkpoint.py --out DIR

The real weights cannot be downloaded here, so the export path is checked on these: fairseq's
key names and nesting, the Base and Large layer/head topologies at tiny widths, a Trainer-style
checkpoint dict (cfg / args / model / task_state / optimizer_history / extra_state) whose
task_state holds objects of fairseq's own classes (fairseq.data.dictionary.Dictionary,
fairseq.data.encoders.sentencepiece_bpe.SentencepieceBPE wrapping a pickled
sentencepiece.SentencePieceProcessor), so the exporter's unpickling stand-ins are exercised.

  base-vsr.pt        Base topology (12 encoder heads, 4 decoder heads), video only; hydra-style cfg
                     dict; vocabulary from the pickled Dictionary
  large-avsr.pt      Large topology (16 encoder heads, 8 decoder heads), audio + video; fp16
                     weights; w2v_args as an argparse.Namespace; empty task_state, so the vocabulary
                     comes from spm.model (--sentencepiece-model)
  base-renamed.pt    base-vsr with one key renamed (RENAMED_FROM -> RENAMED_TO)
  base-missing.pt    base-vsr with one key removed (MISSING_KEY)
  base-no-heads.pt   base-vsr whose config lacks decoder_attention_heads (MISSING_CONFIG_FIELD)
  <name>.spec.json   the architecture each was built with, for the tests to compare against
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import struct  # noqa: E402
import types  # noqa: E402
from typing import Any, Dict, List  # noqa: E402

import torch  # noqa: E402

from fairseq_checkpoint import Architecture  # noqa: E402
from fairseq_reference import AVHubertSeq2Seq  # noqa: E402

SEED = 20240921
RENAMED_FROM = "decoder.layers.0.encoder_attn.k_proj.weight"
RENAMED_TO = "decoder.layers.0.encoder_attn.key_proj.weight"
MISSING_KEY = "encoder.w2v_model.encoder.layers.1.fc2.bias"
MISSING_CONFIG_FIELD = "decoder_attention_heads"

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
WORDS = ["▁BIN", "▁BLUE", "▁AT", "▁F", "▁TWO", "▁NOW", "▁PLACE", "▁RED", "▁G", "▁NINE", "▁SET", "▁WHITE", "▁SOON", "▁WITH"]
PIECES = SPECIALS + ["▁"] + [chr(c) for c in range(ord("A"), ord("Z") + 1)] + ["'"] + WORDS


# --- fairseq's classes, registered under their real module paths so pickle records those names


def register(module_name: str, cls: type) -> type:
    parts = module_name.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        sys.modules.setdefault(name, types.ModuleType(name))
    cls.__module__ = module_name
    setattr(sys.modules[module_name], cls.__name__, cls)
    return cls


class Dictionary:
    """Fields of fairseq.data.dictionary.Dictionary, filled as Dictionary.load does."""

    def __init__(self, pieces: List[str]) -> None:
        self.bos_word, self.unk_word, self.pad_word, self.eos_word = "<s>", "<unk>", "<pad>", "</s>"
        self.symbols = list(pieces)
        self.count = [1] * len(pieces)
        self.indices = {piece: index for index, piece in enumerate(pieces)}
        self.bos_index, self.pad_index, self.eos_index, self.unk_index = 0, 1, 2, 3
        self.nspecial = 4


class SentencePieceProcessor:
    """Pickles as sentencepiece does: the state is the serialized ModelProto."""

    def __init__(self, proto: bytes) -> None:
        self._proto = proto

    def __getstate__(self) -> bytes:
        return self._proto


class SentencepieceBPE:
    def __init__(self, proto: bytes) -> None:
        self.sp = SentencePieceProcessor(proto)


register("fairseq.data.dictionary", Dictionary)
register("sentencepiece", SentencePieceProcessor)
register("fairseq.data.encoders.sentencepiece_bpe", SentencepieceBPE)


def sentencepiece_proto(pieces: List[str]) -> bytes:
    """A ModelProto with the pieces (field 1: {1 piece, 2 score, 3 type}) and a unigram trainer_spec."""

    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    def length_delimited(number: int, payload: bytes) -> bytes:
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    data = b""
    for index, piece in enumerate(pieces):
        kind = 3 if piece in ("<s>", "<pad>", "</s>") else 2 if piece == "<unk>" else 1  # CONTROL / UNKNOWN / NORMAL
        body = length_delimited(1, piece.encode("utf-8")) + varint(2 << 3 | 5) + struct.pack("<f", -float(index)) + varint(3 << 3) + varint(kind)
        data += length_delimited(1, body)
    trainer_spec = varint(3 << 3) + varint(1) + varint(4 << 3) + varint(len(pieces))  # model_type UNIGRAM, vocab_size
    return data + length_delimited(2, trainer_spec)


# --- architectures and checkpoints

SIZES: Dict[str, Dict[str, Any]] = {
    # Base: 12 encoder heads, 4 decoder heads; Large: 16 and 8. Widths and depths are tiny.
    "base": dict(encoder_layers=2, encoder_dim=48, encoder_ffn=64, encoder_heads=12, conv_pos=8, conv_pos_groups=16,
                 resnet_widths=[8, 8, 12, 16, 24], decoder_layers=2, decoder_ffn=64, decoder_heads=4),
    "large": dict(encoder_layers=3, encoder_dim=32, encoder_ffn=48, encoder_heads=16, conv_pos=5, conv_pos_groups=16,
                  resnet_widths=[8, 8, 8, 16, 16], decoder_layers=3, decoder_ffn=40, decoder_heads=8),
}


def architecture(size: str, modalities: List[str]) -> Architecture:
    spec = SIZES[size]
    return Architecture(
        encoder_activation="gelu", audio_dim=104, decoder_dim=spec["encoder_dim"], vocab_size=len(PIECES),
        padding_idx=1, embed_scale=1.0, modalities=modalities, **spec,
    )


def randomized_state(arch: Architecture, generator: torch.Generator) -> "collections.OrderedDict[str, torch.Tensor]":
    """Default inits, then every norm, BatchNorm statistic, PReLU slope and bias moved off its
    default, and the weight-norm gains rescaled, so no folding or mapping mistake can hide."""
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
    state = AVHubertSeq2Seq(arch).state_dict()
    for key, tensor in state.items():
        if not tensor.is_floating_point() or key.endswith("_float_tensor"):
            continue
        noise = torch.randn(tensor.shape, generator=generator)
        if key.endswith("running_var"):
            tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))
        elif key.endswith("running_mean") or key.endswith("bias"):
            tensor.copy_(0.1 * noise)
        elif "norm" in key.split(".")[-2] or key.split(".")[-2].startswith("bn") or key.endswith("frontend3D.1.weight") or key.endswith("downsample.1.weight"):
            tensor.copy_(1.0 + 0.1 * noise)  # LayerNorm / BatchNorm scales
        elif "relu" in key or key.endswith("frontend3D.2.weight"):
            tensor.copy_(0.25 + 0.05 * noise)  # PReLU slopes
        elif key.endswith("weight_g"):
            tensor.mul_(0.5 + torch.rand(tensor.shape, generator=generator))
        elif key == "decoder.embed_tokens.weight":
            tensor.copy_(noise * arch.decoder_dim**-0.5)
            tensor[arch.padding_idx] = 0
    return state


def trainer_checkpoint(model: Dict[str, torch.Tensor], cfg: Any, task_state: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "args": None,
        "cfg": cfg,
        "model": model,
        "criterion": None,
        "optimizer_history": [{"criterion_name": "LabelSmoothedCrossEntropyCriterion", "optimizer_name": "FairseqAdam", "num_updates": 1}],
        "task_state": task_state,
        "extra_state": {"metrics": {}, "previous_training_time": 1.0},
    }


def encoder_settings(arch: Architecture) -> Dict[str, Any]:
    return {
        "_name": "av_hubert", "encoder_layers": arch.encoder_layers, "encoder_embed_dim": arch.encoder_dim,
        "encoder_ffn_embed_dim": arch.encoder_ffn, "encoder_attention_heads": arch.encoder_heads,
        "activation_fn": "gelu", "layer_norm_first": True, "conv_pos": arch.conv_pos, "conv_pos_groups": arch.conv_pos_groups,
        "audio_feat_dim": 104, "modality_fuse": "concat", "resnet_relu_type": "prelu", "sub_encoder_layers": 0, "final_dim": 8,
    }


def decoder_settings(arch: Architecture) -> Dict[str, Any]:
    return {
        "_name": "av_hubert_seq2seq", "decoder_layers": arch.decoder_layers, "decoder_embed_dim": arch.decoder_dim,
        "decoder_ffn_embed_dim": arch.decoder_ffn, "decoder_attention_heads": arch.decoder_heads,
        "decoder_normalize_before": True, "share_decoder_input_output_embed": True, "no_scale_embedding": True,
        "decoder_learned_pos": False, "no_token_positional_embeddings": False, "max_target_positions": 2048,
    }


def task_settings(modalities: List[str]) -> Dict[str, Any]:
    return {"_name": "av_hubert_pretraining", "is_s2s": True, "fine_tuning": True, "labels": ["wrd"], "normalize": True,
            "stack_order_audio": 4, "tokenizer_bpe_name": "sentencepiece", "modalities": modalities}


def spec_json(arch: Architecture) -> Dict[str, Any]:
    return dict(vars(arch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(SEED)
    proto = sentencepiece_proto(PIECES)

    base = architecture("base", ["video"])
    base_model = randomized_state(base, generator)
    base_cfg = {
        "common": {"fp16": True, "seed": 1337},
        "task": task_settings(["video"]),
        "model": {**decoder_settings(base), "w2v_args": {"model": encoder_settings(base), "task": task_settings(["video"])}},
    }
    base_task_state = {"target_dictionary": Dictionary(PIECES), "s2s_tokenizer": SentencepieceBPE(proto)}
    torch.save(trainer_checkpoint(base_model, base_cfg, base_task_state), os.path.join(out, "base-vsr.pt"))

    renamed = collections.OrderedDict((RENAMED_TO if k == RENAMED_FROM else k, v) for k, v in base_model.items())
    torch.save(trainer_checkpoint(renamed, base_cfg, base_task_state), os.path.join(out, "base-renamed.pt"))
    missing = collections.OrderedDict((k, v) for k, v in base_model.items() if k != MISSING_KEY)
    torch.save(trainer_checkpoint(missing, base_cfg, base_task_state), os.path.join(out, "base-missing.pt"))
    # The config without the decoder's head count: the exporter must name it, never guess 4.
    no_heads_cfg = {**base_cfg, "model": {k: v for k, v in base_cfg["model"].items() if k != MISSING_CONFIG_FIELD}}
    torch.save(trainer_checkpoint(base_model, no_heads_cfg, base_task_state), os.path.join(out, "base-no-heads.pt"))

    large = architecture("large", ["video", "audio"])
    large_model = collections.OrderedDict(
        (k, v.half() if v.is_floating_point() else v) for k, v in randomized_state(large, generator).items()
    )  # fairseq --fp16 runs save half-precision weights
    large_cfg = {
        "task": task_settings(["video", "audio"]),
        "model": {**decoder_settings(large), "w2v_args": argparse.Namespace(**encoder_settings(large))},
    }
    torch.save(trainer_checkpoint(large_model, large_cfg, {}), os.path.join(out, "large-avsr.pt"))
    with open(os.path.join(out, "spm.model"), "wb") as handle:
        handle.write(proto)

    for name, arch in (("base-vsr", base), ("large-avsr", large)):
        with open(os.path.join(out, f"{name}.spec.json"), "w", encoding="utf-8") as handle:
            json.dump(spec_json(arch), handle, indent=2)
    with open(os.path.join(out, "broken-keys.json"), "w", encoding="utf-8") as handle:
        json.dump({"renamedFrom": RENAMED_FROM, "renamedTo": RENAMED_TO, "missing": MISSING_KEY, "missingConfigField": MISSING_CONFIG_FIELD}, handle)
    print(f"wrote synthetic checkpoints to {out}")


if __name__ == "__main__":
    main()
