"""Exports an official AV-HuBERT fine-tuned checkpoint to the lip-reading server's model package.

  python3 export_avhubert.py --checkpoint large_noise_pt_noise_ft_433h.pt --out avhubert-large-avsr \\
      [--sentencepiece-model spm1000/spm_unigram1000.model] [--mode vsr|avsr] [--verify]

Needs only PyTorch (>= 1.13; not fairseq): fairseq's pickled classes are read through inert
stand-ins. Writes encoder.pt, decoder_step.pt, vocab.txt and manifest.json (the contract in
ec2-avhubert/src/model/manifest.ts). Every checkpoint key must map onto the rebuilt model and
every model weight must come from the checkpoint; otherwise it stops and names the keys.
--verify then compares the exported TorchScript with an eager fairseq-layout reference on
random input.
"""

import sys

sys.dont_write_bytecode = True  # keep the source folder clean when run from a checkout

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from typing import Any, Dict, Optional  # noqa: E402

import torch  # noqa: E402

from fairseq_checkpoint import (  # noqa: E402
    Architecture,
    CheckpointError,
    Vocabulary,
    load_checkpoint_file,
    map_state_dict,
    read_architecture,
    read_vocabulary,
    to_float_state,
)
from torchscript_model import build, expected_keys  # noqa: E402

VIDEO_SIZE = 88
VIDEO_MEAN, VIDEO_STD = 0.421, 0.165  # AV-HuBERT's image normalisation
PROBE_FRAMES = 2


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest(name: str, mode: str, arch: Architecture, vocab: Vocabulary, beam: int, source: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "format": "gorggle-avhubert-package",
        # 2: decoder_step.pt also has cross_kv / select_memory / step (the device decoder)
        "formatVersion": 2,
        "name": name,
        "mode": mode,
        "output": "seq2seq",
        "files": {"encoder": "encoder.pt", "decoderStep": "decoder_step.pt", "vocab": "vocab.txt"},
        "input": {
            "fps": 25,
            "video": {"size": VIDEO_SIZE, "mean": VIDEO_MEAN, "std": VIDEO_STD},
            "audio": {"dim": arch.audio_dim, "rateHz": 25},
        },
        "encoder": {"dim": arch.encoder_dim},
        "vocabSize": len(vocab.pieces),
        "specialIds": {"bos": vocab.bos, "pad": vocab.pad, "eos": vocab.eos, "unk": vocab.unk},
        # s2s_decode.yaml: beam 50, lenpen 1, max_len_a 1 / max_len_b 0 over the frame count
        "decoding": {"beam": beam, "lenPenalty": 1.0, "maxLength": {"perFrame": 1.0, "offset": 0}},
        "decoder": {
            "layers": arch.decoder_layers,
            "heads": arch.decoder_heads,
            "headDim": arch.decoder_dim // arch.decoder_heads,
            # fairseq's SequenceGenerator starts every hypothesis with eos
            "startTokenId": vocab.eos,
        },
        "exportedFrom": source,
    }


def probe(encoder: torch.jit.ScriptModule, decoder: torch.jit.ScriptModule, arch: Architecture, vocab_size: int) -> None:
    """The server's load-time probe, run here so a broken export never leaves this tool."""
    with torch.no_grad():
        encoded = encoder(torch.randn(1, 1, PROBE_FRAMES, VIDEO_SIZE, VIDEO_SIZE), torch.randn(1, arch.audio_dim, PROBE_FRAMES))
        if list(encoded.shape) != [1, PROBE_FRAMES, arch.decoder_dim]:
            raise CheckpointError(f"internal: encoder.pt returned {list(encoded.shape)}")
        head_dim = arch.decoder_dim // arch.decoder_heads
        empty = torch.zeros(arch.decoder_layers, 1, arch.decoder_heads, 0, head_dim)
        log_probs, cache_k, _ = decoder(torch.tensor([[2]]), encoded, empty, empty, torch.tensor(0))
        if list(log_probs.shape) != [1, vocab_size] or list(cache_k.shape) != [arch.decoder_layers, 1, arch.decoder_heads, 1, head_dim]:
            raise CheckpointError(f"internal: decoder_step.pt returned {list(log_probs.shape)} / {list(cache_k.shape)}")
        if abs(float(torch.logsumexp(log_probs[0], 0))) > 1e-3 or not torch.isfinite(log_probs).all():
            raise CheckpointError("internal: decoder_step.pt does not return finite log-probabilities")
        memory_k, memory_v, memory_bias = decoder.cross_kv(encoded)
        device_log_probs, _, _ = decoder.step(torch.tensor([[2]]), memory_k, memory_v, memory_bias, empty, empty, torch.tensor(0))
        if not torch.allclose(device_log_probs, log_probs, atol=1e-4):
            raise CheckpointError("internal: decoder_step.pt step() disagrees with forward()")


def export(checkpoint: str, out: str, sentencepiece_model: Optional[str], mode: Optional[str], name: Optional[str], beam: int) -> Dict[str, Any]:
    state = load_checkpoint_file(checkpoint)
    state["model"] = to_float_state(state["model"])
    vocab = read_vocabulary(state, sentencepiece_model)
    arch = read_architecture(state, vocab, checkpoint)
    trained_on_audio = "audio" in arch.modalities
    mode = mode or ("avsr" if trained_on_audio else "vsr")
    if mode == "avsr" and not trained_on_audio:
        raise CheckpointError(
            f"{checkpoint} was fine-tuned on {arch.modalities} only; export it with --mode vsr (an avsr export would feed it audio it never learned)."
        )
    encoder, decoder = build(arch, use_audio=mode == "avsr")
    encoder_state, decoder_state = map_state_dict(state["model"], expected_keys(encoder), expected_keys(decoder), checkpoint)
    for module, mapped in ((encoder, encoder_state), (decoder, decoder_state)):
        complete = module.state_dict()
        complete.update(mapped)  # only BatchNorm's num_batches_tracked may be left at its default
        module.load_state_dict(complete, strict=True)

    source = {
        "checkpoint": os.path.basename(checkpoint),
        "sha256": sha256(checkpoint),
        "architecture": arch.size_name,
        "encoderLayers": arch.encoder_layers,
        "encoderHeads": arch.encoder_heads,
        "modalities": arch.modalities,
        "vocabulary": vocab.source if vocab.source != sentencepiece_model else os.path.basename(sentencepiece_model or ""),
        "torch": torch.__version__,
    }
    package_name = name or f"avhubert-{arch.size_name}-{mode}-{os.path.splitext(os.path.basename(checkpoint))[0]}"
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        scripted_encoder, scripted_decoder = torch.jit.script(encoder), torch.jit.script(decoder)
        scripted_encoder.save(os.path.join(staging, "encoder.pt"))
        scripted_decoder.save(os.path.join(staging, "decoder_step.pt"))
        with open(os.path.join(staging, "vocab.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(vocab.pieces) + "\n")
        document = manifest(package_name, mode, arch, vocab, beam, source)
        with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        probe(torch.jit.load(os.path.join(staging, "encoder.pt")), torch.jit.load(os.path.join(staging, "decoder_step.pt")), arch, len(vocab.pieces))
        if os.path.exists(out):
            shutil.rmtree(out)
        os.chmod(staging, 0o755)
        os.rename(staging, out)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="fine-tuned AV-HuBERT .pt (fairseq)")
    parser.add_argument("--out", required=True, help="package folder to write (replaced if it exists)")
    parser.add_argument("--sentencepiece-model", help="SentencePiece .model, when the checkpoint carries no dictionary")
    parser.add_argument("--mode", choices=["vsr", "avsr"], help="default: avsr if the checkpoint was fine-tuned with audio")
    parser.add_argument("--name", help="model name shown in lipreading.json")
    parser.add_argument("--beam", type=int, default=50, help="beam size written to the manifest (AV-HuBERT decodes with 50)")
    parser.add_argument("--verify", action="store_true", help="compare the exported modules with an eager reference")
    args = parser.parse_args()
    torch.set_num_threads(min(4, os.cpu_count() or 1))
    try:
        document = export(args.checkpoint, args.out, args.sentencepiece_model, args.mode, args.name, args.beam)
        print(f"wrote {args.out}: {document['name']} ({document['mode']}, {document['exportedFrom']['architecture']}, vocabulary {document['vocabSize']})")
        if args.verify:
            from verify_export import verify_package

            report = verify_package(args.checkpoint, args.out, args.sentencepiece_model)
            print(json.dumps(report, indent=2))
    except CheckpointError as error:
        print(f"export_avhubert: {error}", file=sys.stderr)
        return 2
    except AssertionError as error:  # --verify found a difference
        print(f"export_avhubert: verification failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
