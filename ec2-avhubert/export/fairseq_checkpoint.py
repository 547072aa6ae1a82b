"""Reads an AV-HuBERT fine-tuned (seq2seq) fairseq checkpoint without fairseq.

fairseq pickles its own objects into checkpoints (the task's Dictionary, the SentencePiece
tokenizer, sometimes argparse namespaces inside `cfg`). Unpickling them normally needs fairseq
and av_hubert on the import path. Here every class outside a short allow-list of torch and
standard-library types is replaced by an inert stand-in that only records its state, so no code
from the checkpoint runs and nothing beyond torch is needed.

The checkpoint layout (fairseq Trainer.state_dict):
  cfg          dict (hydra era) with model / task sections; model.w2v_args holds the pre-training
               config (a dict, or an argparse.Namespace in older runs)
  args         argparse.Namespace (legacy) or None
  model        state dict: encoder.w2v_model.* (AV-HuBERT) and decoder.* (transformer decoder)
  task_state   {target_dictionary: fairseq Dictionary, s2s_tokenizer: SentencepieceBPE, ...}
"""

import collections
import contextlib
import inspect
import os
import pickle
import re
import types
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import torch

ENCODER_PREFIX = "encoder.w2v_model."
DECODER_PREFIX = "decoder."
AVHUBERT_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]

# Keys a fine-tuned checkpoint carries that inference does not use: pre-training heads, the
# sinusoidal table's dtype marker, fairseq's state-dict version stamps.
IGNORED_KEY_PATTERNS = [
    re.compile(r"^encoder\.w2v_model\.mask_emb$"),
    re.compile(r"^encoder\.w2v_model\.label_embs_concat$"),
    re.compile(r"^encoder\.w2v_model\.(final_proj|target_glu)\..*"),
    re.compile(r"^decoder\.embed_positions\._float_tensor$"),
    re.compile(r"^(.*\.)?version$"),
]


class CheckpointError(Exception):
    """The checkpoint cannot be exported; the message says what is wrong and what to do."""


# ---------------------------------------------------------------------------------------------
# Unpickling with stand-ins


class StandIn:
    """Inert replacement for a class the checkpoint names (fairseq Dictionary, omegaconf nodes...)."""

    _qualified_name = "StandIn"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._kwargs = kwargs

    def __setstate__(self, state: Any) -> None:
        # pickle passes __dict__ (optionally with slots) or whatever __getstate__ returned
        if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self._state = state

    def __repr__(self) -> str:
        return f"<stand-in {self._qualified_name}>"


_stand_ins: Dict[Tuple[str, str], type] = {}


def stand_in(module: str, name: str) -> type:
    key = (module, name)
    if key not in _stand_ins:
        _stand_ins[key] = type(name, (StandIn,), {"_qualified_name": f"{module}.{name}", "__module__": module})
    return _stand_ins[key]


_SAFE_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "int", "float", "bool", "str", "bytes", "bytearray", "complex", "slice", "range"}


# Named one by one: a prefix such as torch.serialization._* would admit _open_file and friends.
_TENSOR_REBUILDERS = {
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_qtensor",
    "_rebuild_sparse_tensor",
    "_rebuild_device_tensor_from_numpy",
    "_rebuild_meta_tensor_no_storage",
}


def _allowed(module: str, name: str) -> bool:
    if module == "torch._utils":
        return name in _TENSOR_REBUILDERS
    if module == "torch":
        return name in ("Size", "device") or isinstance(getattr(torch, name, None), torch.dtype)
    if module == "torch.serialization":
        return name == "_get_layout"  # legacy sparse tensors
    if module == "collections":
        return name == "OrderedDict"
    if module == "builtins":
        return name in _SAFE_BUILTINS
    return (module, name) in {("argparse", "Namespace"), ("copyreg", "_reconstructor"), ("_codecs", "encode")}


class StandInUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if _allowed(module, name):
            return super().find_class(module, name)
        return stand_in(module, name)


# torch.load takes a pickle-like module: pickle itself with our Unpickler.
stand_in_pickle = types.ModuleType("stand_in_pickle")
stand_in_pickle.__dict__.update({k: v for k, v in vars(pickle).items() if not k.startswith("__")})
stand_in_pickle.Unpickler = StandInUnpickler  # type: ignore[attr-defined]
stand_in_pickle.load = lambda file, **kwargs: StandInUnpickler(file, **kwargs).load()  # type: ignore[attr-defined]


@contextlib.contextmanager
def _torch_unpickles_with_stand_ins():
    """Debian's torch 1.13 ignores torch.load(pickle_module=...) unless weights_only; swap the
    module torch.serialization unpickles with for the duration of the call instead."""
    serialization = torch.serialization
    original = serialization.pickle
    serialization.pickle = stand_in_pickle
    try:
        yield
    finally:
        serialization.pickle = original


def load_checkpoint_file(path: str) -> Dict[str, Any]:
    if not os.path.isfile(path):
        raise CheckpointError(f"{path} does not exist: pass the fine-tuned AV-HuBERT .pt file.")
    kwargs: Dict[str, Any] = {"map_location": "cpu", "pickle_module": stand_in_pickle}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = False  # our unpickler is the restriction; torch's would refuse fairseq classes
    try:
        with _torch_unpickles_with_stand_ins():
            state = torch.load(path, **kwargs)
    except Exception as error:  # noqa: BLE001 - any failure here means "not a checkpoint we can read"
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint: {error}") from error
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise CheckpointError(f"{path} has no 'model' state dict: it is not a fairseq checkpoint.")
    return state


# ---------------------------------------------------------------------------------------------
# Config access over dicts, namespaces and stand-ins


def field(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    if isinstance(obj, StandIn) and "_content" in obj.__dict__:  # an omegaconf DictConfig stand-in
        return plain(obj).get(name, default) if isinstance(plain(obj), dict) else default
    return getattr(obj, name, default)


def plain(value: Any) -> Any:
    """omegaconf node stand-ins -> plain values (best effort: the real checkpoints store dicts)."""
    if isinstance(value, StandIn):
        content = value.__dict__.get("_content", value.__dict__.get("_val", value))
        if content is value:
            return value
        return plain(content)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def encoder_config(state: Dict[str, Any]) -> Tuple[Any, Any]:
    """(pre-training model config, fine-tuning model config) from cfg or legacy args."""
    cfg = state.get("cfg")
    finetune = field(cfg, "model") if cfg is not None else state.get("args")
    w2v_args = field(finetune, "w2v_args")
    pretrain_model = field(w2v_args, "model", w2v_args) if w2v_args is not None else None
    return pretrain_model, finetune


def task_config(state: Dict[str, Any]) -> Any:
    cfg = state.get("cfg")
    return field(cfg, "task") if cfg is not None else state.get("args")


# ---------------------------------------------------------------------------------------------
# Vocabulary


def pieces_from_sentencepiece_proto(data: bytes) -> List[str]:
    """SentencePiece ModelProto: field 1 = repeated SentencePiece {1: piece, 2: score, 3: type}."""

    def varint(buffer: bytes, at: int) -> Tuple[int, int]:
        result = shift = 0
        while True:
            if at >= len(buffer):
                raise CheckpointError("the SentencePiece model is truncated.")
            byte = buffer[at]
            at += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result, at
            shift += 7

    def fields(buffer: bytes):
        at = 0
        while at < len(buffer):
            key, at = varint(buffer, at)
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, at = varint(buffer, at)
            elif wire == 1:
                value, at = buffer[at : at + 8], at + 8
            elif wire == 2:
                length, at = varint(buffer, at)
                value, at = buffer[at : at + length], at + length
            elif wire == 5:
                value, at = buffer[at : at + 4], at + 4
            else:
                raise CheckpointError(f"the SentencePiece model has an unsupported protobuf wire type {wire}.")
            yield number, wire, value

    pieces = []
    for number, wire, value in fields(data):
        if number == 1 and wire == 2:
            piece = next((item for n, w, item in fields(value) if n == 1 and w == 2), b"")
            pieces.append(piece.decode("utf-8"))
    if not pieces:
        raise CheckpointError("the SentencePiece model lists no pieces: is it a .model file from spm_train?")
    return pieces


@dataclass
class Vocabulary:
    pieces: List[str]
    source: str
    bos: int
    pad: int
    eos: int
    unk: int


def _dictionary_vocabulary(dictionary: Any) -> Optional[Vocabulary]:
    symbols = field(dictionary, "symbols")
    if not isinstance(symbols, list) or not symbols:
        return None
    ids = [field(dictionary, name) for name in ("bos_index", "pad_index", "eos_index", "unk_index")]
    if not all(isinstance(i, int) for i in ids):
        ids = [symbols.index(s) if s in symbols else -1 for s in AVHUBERT_SPECIALS]
    return Vocabulary([str(s) for s in symbols], "the checkpoint's task dictionary", *ids)


def _pieces_vocabulary(pieces: List[str], source: str) -> Vocabulary:
    if pieces[:4] != AVHUBERT_SPECIALS:
        raise CheckpointError(
            f"{source} starts with {pieces[:4]}, but AV-HuBERT's dictionary starts {AVHUBERT_SPECIALS} "
            "(gen_subword.py trains SentencePiece with bos 0, pad 1, eos 2, unk 3). Pass the model trained for this checkpoint."
        )
    return Vocabulary(pieces, source, 0, 1, 2, 3)


def read_vocabulary(state: Dict[str, Any], sentencepiece_model: Optional[str]) -> Vocabulary:
    """The explicit SentencePiece model wins; then the pickled dictionary; then the pickled tokenizer."""
    if sentencepiece_model:
        with open(sentencepiece_model, "rb") as handle:
            return _pieces_vocabulary(pieces_from_sentencepiece_proto(handle.read()), sentencepiece_model)
    task_state = state.get("task_state") or {}
    dictionary = _dictionary_vocabulary(field(task_state, "target_dictionary"))
    if dictionary:
        return dictionary
    tokenizer = field(task_state, "s2s_tokenizer")
    processor = field(tokenizer, "sp")
    proto = processor.__dict__.get("_state") if isinstance(processor, StandIn) else None
    if isinstance(proto, (bytes, bytearray)):
        return _pieces_vocabulary(pieces_from_sentencepiece_proto(bytes(proto)), "the checkpoint's pickled SentencePiece model")
    raise CheckpointError(
        "the checkpoint carries no target dictionary or SentencePiece model: pass --sentencepiece-model "
        "with the unigram-1000 .model file that came with the checkpoint (AV-HuBERT's LRS3 release ships one)."
    )


# ---------------------------------------------------------------------------------------------
# Architecture


@dataclass
class Architecture:
    encoder_layers: int
    encoder_dim: int
    encoder_ffn: int
    encoder_heads: int
    encoder_activation: str
    conv_pos: int
    conv_pos_groups: int
    resnet_widths: List[int]  # frontend, layer1..layer4
    audio_dim: int
    decoder_layers: int
    decoder_dim: int
    decoder_ffn: int
    decoder_heads: int
    vocab_size: int
    padding_idx: int
    embed_scale: float
    modalities: List[str]

    @property
    def size_name(self) -> str:
        return {768: "base", 1024: "large"}.get(self.encoder_dim, f"custom-{self.encoder_dim}")


def _shape(model: Dict[str, torch.Tensor], key: str) -> List[int]:
    if key not in model:
        raise CheckpointError(f"missing key {key}: the checkpoint is not an AV-HuBERT fine-tuned seq2seq model.")
    return list(model[key].shape)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckpointError(message)


def _layer_count(model: Dict[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    indices = {int(match.group(1)) for key in model for match in [pattern.match(key)] if match}
    return max(indices) + 1 if indices else 0


def check_checkpoint_kind(model: Dict[str, torch.Tensor], path: str) -> None:
    if any(key.startswith("w2v_encoder.") for key in model):
        raise CheckpointError(f"{path} is a CTC fine-tuned AV-HuBERT (w2v_encoder.*): this tool exports the seq2seq models Meta released.")
    if not any(key.startswith(ENCODER_PREFIX) for key in model):
        raise CheckpointError(
            f"{path} has no {ENCODER_PREFIX}* weights: it is a pre-trained (not fine-tuned) checkpoint or not AV-HuBERT. "
            "Export a fine-tuned checkpoint such as large_noise_pt_noise_ft_433h.pt."
        )
    if not any(key.startswith(DECODER_PREFIX) for key in model):
        raise CheckpointError(f"{path} has no decoder.* weights: only seq2seq fine-tuned AV-HuBERT checkpoints can be exported.")


def read_architecture(state: Dict[str, Any], vocab: Vocabulary, path: str) -> Architecture:
    model = state["model"]
    check_checkpoint_kind(model, path)
    pre, fine = encoder_config(state)
    task = task_config(state)
    pre_task = field(field(fine, "w2v_args"), "task")

    def setting(cfg: Any, name: str, default: Any) -> Any:
        value = field(cfg, name)
        return default if value is None else value

    def required(cfg: Any, name: str, section: str) -> Any:
        """A field that changes the arithmetic and cannot be read from the weights: never guessed."""
        value = field(cfg, name)
        if value is None:
            raise CheckpointError(
                f"the checkpoint's config has no {section}.{name}: it cannot be read from the weights and guessing it "
                "would export a model that computes something else. Use the unmodified fine-tuned checkpoint, whose cfg has it."
            )
        return value

    pre_section, fine_section = "model.w2v_args.model", "model"
    _require(required(pre, "layer_norm_first", pre_section) is True, "the encoder has layer_norm_first=False; every released AV-HuBERT uses True and only that is supported.")
    _require(required(pre, "modality_fuse", pre_section) == "concat", "only modality_fuse=concat (AV-HuBERT's default) is supported.")
    _require(int(setting(pre, "sub_encoder_layers", 0)) == 0, "per-modality sub-encoders (sub_encoder_layers > 0) are not supported.")
    _require(required(pre, "resnet_relu_type", pre_section) == "prelu", "only resnet_relu_type=prelu (AV-HuBERT's default) is supported.")
    _require(required(fine, "decoder_normalize_before", fine_section) is True, "the decoder has decoder_normalize_before=False; released AV-HuBERT decoders are pre-LayerNorm.")
    _require(not setting(fine, "decoder_learned_pos", False), "learned decoder positions are not supported (AV-HuBERT uses sinusoidal ones).")
    _require(not setting(fine, "no_token_positional_embeddings", False), "a decoder without positional embeddings is not supported.")
    _require(required(fine, "share_decoder_input_output_embed", fine_section) is True, "only shared decoder input/output embeddings are supported (as released).")

    encoder_dim = _shape(model, ENCODER_PREFIX + "encoder.layer_norm.weight")[0]
    v_shape = _shape(model, ENCODER_PREFIX + "encoder.pos_conv.0.weight_v") if ENCODER_PREFIX + "encoder.pos_conv.0.weight_v" in model else _shape(
        model, ENCODER_PREFIX + "encoder.pos_conv.0.parametrizations.weight.original1"
    )
    resnet = ENCODER_PREFIX + "feature_extractor_video.resnet."
    widths = [_shape(model, resnet + "frontend3D.0.weight")[0]] + [
        _shape(model, f"{resnet}trunk.layer{index}.0.conv1.weight")[0] for index in range(1, 5)
    ]
    encoder_layers = int(setting(pre, "encoder_layers", _layer_count(model, ENCODER_PREFIX + "encoder.layers.")))
    heads = required(pre, "encoder_attention_heads", pre_section)
    embed = _shape(model, DECODER_PREFIX + "embed_tokens.weight")
    _require(
        embed[0] == len(vocab.pieces),
        f"the decoder has {embed[0]} output tokens but {vocab.source} has {len(vocab.pieces)} pieces: use the vocabulary this checkpoint was trained with.",
    )
    modalities = setting(task, "modalities", None) or setting(pre_task, "modalities", None) or ["video"]
    return Architecture(
        encoder_layers=encoder_layers,
        encoder_dim=encoder_dim,
        encoder_ffn=_shape(model, ENCODER_PREFIX + "encoder.layers.0.fc1.weight")[0],
        encoder_heads=int(heads),
        encoder_activation=str(required(pre, "activation_fn", pre_section)),
        conv_pos=v_shape[2],
        conv_pos_groups=encoder_dim // v_shape[1],
        resnet_widths=widths,
        audio_dim=_shape(model, ENCODER_PREFIX + "feature_extractor_audio.proj.weight")[1],
        decoder_layers=int(setting(fine, "decoder_layers", _layer_count(model, DECODER_PREFIX + "layers."))),
        decoder_dim=embed[1],
        decoder_ffn=_shape(model, DECODER_PREFIX + "layers.0.fc1.weight")[0],
        decoder_heads=int(required(fine, "decoder_attention_heads", fine_section)),
        vocab_size=embed[0],
        padding_idx=vocab.pad,
        embed_scale=1.0 if required(fine, "no_scale_embedding", fine_section) else float(embed[1]) ** 0.5,
        modalities=[str(m) for m in plain(modalities)],
    )


# ---------------------------------------------------------------------------------------------
# Strict key mapping


def fold_weight_norm(g: torch.Tensor, v: torch.Tensor, dim: int) -> torch.Tensor:
    """w = g * v / ||v||, the norm taken over every axis except `dim` (torch.nn.utils.weight_norm)."""
    axes = [axis for axis in range(v.dim()) if axis != dim]
    return g * (v / v.norm(p=2, dim=axes, keepdim=True))


POS_CONV = ENCODER_PREFIX + "encoder.pos_conv.0."
WEIGHT_NORM_NAMES = [("weight_g", "weight_v"), ("parametrizations.weight.original0", "parametrizations.weight.original1")]


def map_state_dict(
    model: Dict[str, torch.Tensor], encoder_keys: Dict[str, List[int]], decoder_keys: Dict[str, List[int]], path: str
) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """Checkpoint keys -> (encoder, decoder) state dicts of the export modules; strict both ways."""
    encoder: Dict[str, torch.Tensor] = {}
    decoder: Dict[str, torch.Tensor] = {}
    origin: Dict[Tuple[str, str], str] = {}
    unexpected: List[str] = []
    consumed = set()

    for g_name, v_name in WEIGHT_NORM_NAMES:
        g_key, v_key = POS_CONV + g_name, POS_CONV + v_name
        if g_key in model or v_key in model:
            if g_key in model and v_key in model:
                # fairseq: weight_norm(pos_conv, name="weight", dim=2)
                encoder["encoder.pos_conv.weight"] = fold_weight_norm(model[g_key].float(), model[v_key].float(), dim=2)
            origin[("encoder", "encoder.pos_conv.weight")] = f"{g_key} + {v_key}"
            consumed.update({g_key, v_key})
            break

    for key, tensor in model.items():
        if key in consumed:
            continue
        if key == POS_CONV + "bias":
            target, name = encoder, "encoder.pos_conv.bias"
        elif key.startswith(ENCODER_PREFIX):
            target, name = encoder, key[len(ENCODER_PREFIX) :]
        elif key.startswith(DECODER_PREFIX):
            target, name = decoder, key[len(DECODER_PREFIX) :]
        else:
            target, name = None, ""
        expected = encoder_keys if target is encoder else decoder_keys
        if target is None or name not in expected:
            if not any(pattern.match(key) for pattern in IGNORED_KEY_PATTERNS):
                unexpected.append(key)
            continue
        target[name] = tensor
        origin[("encoder" if target is encoder else "decoder", name)] = key

    def checkpoint_name(part: str, name: str) -> str:
        if part == "encoder" and name == "encoder.pos_conv.weight":
            return f"{POS_CONV}weight_g / {POS_CONV}weight_v"
        if part == "encoder" and name == "encoder.pos_conv.bias":
            return POS_CONV + "bias"
        return (ENCODER_PREFIX if part == "encoder" else DECODER_PREFIX) + name

    missing = [checkpoint_name("encoder", k) for k in encoder_keys if k not in encoder and not k.endswith("num_batches_tracked")]
    missing += [checkpoint_name("decoder", k) for k in decoder_keys if k not in decoder]
    if ("encoder", "encoder.pos_conv.weight") in origin and "encoder.pos_conv.weight" not in encoder:
        partial = origin[("encoder", "encoder.pos_conv.weight")]
        missing = [name for name in missing if "pos_conv.0.weight" not in name]
        missing.append(f"one of {partial} (weight norm needs both)")
    mismatched = []
    for part, state, keys in (("encoder", encoder, encoder_keys), ("decoder", decoder, decoder_keys)):
        for name, tensor in state.items():
            if list(tensor.shape) != keys[name]:
                source = origin.get((part, name), name)
                mismatched.append(f"{source} has shape {list(tensor.shape)}, expected {keys[name]}")
    problems = []
    if missing:
        problems.append("missing key(s): " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected key(s): " + ", ".join(unexpected))
    if mismatched:
        problems.append("shape mismatch: " + "; ".join(mismatched))
    if problems:
        raise CheckpointError(
            f"{path} does not match the AV-HuBERT seq2seq architecture its config describes:\n  "
            + "\n  ".join(problems)
            + "\nUse an unmodified fine-tuned checkpoint from the AV-HuBERT release; a renamed key means the file was edited or comes from another model."
        )
    return encoder, decoder


def to_float_state(state: Dict[str, torch.Tensor]) -> "collections.OrderedDict[str, torch.Tensor]":
    """fp16 checkpoints (fairseq trains with --fp16) become float32; integer buffers stay."""
    return collections.OrderedDict((k, v.float() if v.is_floating_point() else v) for k, v in state.items())

