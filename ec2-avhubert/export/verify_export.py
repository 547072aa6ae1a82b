"""Checks an exported package against the eager fairseq-layout reference (fairseq_reference.py).

  python3 verify_export.py --checkpoint X.pt --package DIR [--sentencepiece-model M] [--dump DIR]

On random input (seeded):
  encoder       encoder.pt vs the reference's extract_finetune: one clip, a padded batch of two,
                and (avsr) each modality missing; a vsr export must ignore whatever audio it gets
  decoder       decoder_step.pt run step by step with its cache vs the reference decoder over the
                whole prefix with a causal mask; a padded encoder batch; a beam reorder
                (beam_origin) that grows the batch
  device        cross_kv + step (the device decoder): two chunks of different lengths in one batch,
                two rows each, then select_memory dropping one chunk
  greedy        the tokens of a greedy decode by full recomputation, with the server's masks
Fails (exit 1) when a relative error (max |a-b| / max |b|) reaches 1e-4. --dump writes the
inputs and reference outputs as raw little-endian float32 plus a JSON index, for the Node test
that replays them through the addon.
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from typing import Any, Dict, List, Optional  # noqa: E402

import torch  # noqa: E402

from fairseq_checkpoint import CheckpointError, load_checkpoint_file, read_architecture, read_vocabulary  # noqa: E402
from fairseq_reference import AVHubertSeq2Seq, load_reference  # noqa: E402

TOLERANCE = 1e-4
FRAMES = 7
SEED = 7


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    if actual.shape != expected.shape:
        raise AssertionError(f"shape {list(actual.shape)} != reference {list(expected.shape)}")
    scale = float(expected.abs().max().clamp(min=1e-12))
    return float((actual - expected).abs().max()) / scale


class Report:
    def __init__(self) -> None:
        self.errors: Dict[str, float] = {}

    def compare(self, name: str, actual: torch.Tensor, expected: torch.Tensor) -> None:
        self.errors[name] = relative_error(actual, expected)

    def failures(self) -> List[str]:
        return [f"{name}: relative error {error:.2e}" for name, error in self.errors.items() if not error < TOLERANCE]


def full_log_probs(reference: AVHubertSeq2Seq, prefix: List[int], encoder_out: torch.Tensor, padding: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Reference log-probs of the token after `prefix` ([V]), recomputing the whole prefix."""
    return reference.decoder(torch.tensor([prefix]), encoder_out, padding)[0, -1]


def greedy(reference: AVHubertSeq2Seq, encoder_out: torch.Tensor, start: int, eos: int, banned: List[int], max_length: int) -> List[int]:
    """ec2-avhubert/src/model/search.ts greedySearch: banned tokens, no eos first, eos at max length."""
    tokens: List[int] = []
    for position in range(max_length + 1):
        row = full_log_probs(reference, [start] + tokens, encoder_out).clone()
        if position >= max_length:
            break
        row[banned] = float("-inf")
        if position == 0:
            row[eos] = float("-inf")
        token = int(row.argmax())
        if token == eos:
            break
        tokens.append(token)
    return tokens


def verify_package(checkpoint: str, package: str, sentencepiece_model: Optional[str], dump: Optional[str] = None) -> Dict[str, Any]:
    state = load_checkpoint_file(checkpoint)
    arch = read_architecture(state, read_vocabulary(state, sentencepiece_model), checkpoint)
    reference = load_reference(arch, state["model"])
    with open(os.path.join(package, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    encoder = torch.jit.load(os.path.join(package, manifest["files"]["encoder"]))
    decoder = torch.jit.load(os.path.join(package, manifest["files"]["decoderStep"]))
    avsr = manifest["mode"] == "avsr"
    special = manifest["specialIds"]
    layers, heads, head_dim = (manifest["decoder"][k] for k in ("layers", "heads", "headDim"))
    report = Report()
    generator = torch.Generator().manual_seed(SEED)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator)

    def empty_cache(batch: int) -> torch.Tensor:
        return torch.zeros(layers, batch, heads, 0, head_dim)

    with torch.no_grad():
        video, audio = randn(1, 1, FRAMES, 88, 88), randn(1, arch.audio_dim, FRAMES)
        expected_encoder = reference.encode(audio if avsr else None, video)
        report.compare("encoder", encoder(video, audio), expected_encoder)

        # A padded batch: the second clip is two frames shorter.
        videos, audios = randn(2, 1, FRAMES, 88, 88), randn(2, arch.audio_dim, FRAMES)
        padding = torch.zeros(2, FRAMES, dtype=torch.long)
        padding[1, -2:] = 1
        batch_out = encoder(videos, audios, padding)
        report.compare("encoder padded batch", batch_out, reference.encode(audios if avsr else None, videos, padding.bool()))
        if avsr:
            report.compare("encoder without audio", encoder(video, torch.zeros_like(audio)), reference.encode(None, video))
            report.compare("encoder without video", encoder(torch.zeros_like(video), audio), reference.encode(audio, None))

        # Step by step with the cache vs whole-prefix recomputation.
        non_special = [t for t in range(arch.vocab_size) if t not in special.values()]
        picks = torch.randint(0, len(non_special), (5,), generator=generator).tolist()
        tokens = [special["eos"]] + [non_special[i] for i in picks]
        expected_steps = reference.decoder(torch.tensor([tokens]), expected_encoder)[0]
        cache_k = cache_v = empty_cache(1)
        for step, token in enumerate(tokens):
            log_probs, cache_k, cache_v = decoder(torch.tensor([[token]]), expected_encoder, cache_k, cache_v, torch.tensor(step))
            report.compare(f"decoder step {step}", log_probs[0], expected_steps[step])

        # Cross-attention over a padded encoder batch.
        cache_k = cache_v = empty_cache(2)
        for step, token in enumerate(tokens[:3]):
            log_probs, cache_k, cache_v = decoder(
                torch.tensor([[token], [token]]), batch_out, cache_k, cache_v, torch.tensor(step), None, padding
            )
        expected_padded = reference.decoder(torch.tensor([tokens[:3]] * 2), batch_out, padding.bool())[:, -1]
        report.compare("decoder padded encoder batch", log_probs, expected_padded)

        # Beam reorder: two hypotheses grow into three (rows 1, 0, 1 of the incoming cache).
        first, second = non_special[picks[0]], non_special[picks[1]]
        extensions = [non_special[i] for i in picks[2:5]]
        beam_origin = [1, 0, 1]
        cache_k = cache_v = empty_cache(1)
        _, cache_k, cache_v = decoder(torch.tensor([[special["eos"]]]), expected_encoder, cache_k, cache_v, torch.tensor(0))
        _, cache_k, cache_v = decoder(
            torch.tensor([[first], [second]]), expected_encoder, cache_k, cache_v, torch.tensor(1), torch.tensor([0, 0])
        )
        beam_log_probs, _, _ = decoder(
            torch.tensor([[t] for t in extensions]), expected_encoder, cache_k, cache_v, torch.tensor(2), torch.tensor(beam_origin)
        )
        parents = [[special["eos"], first], [special["eos"], second]]
        expected_beam = torch.stack(
            [full_log_probs(reference, parents[origin] + [token], expected_encoder) for origin, token in zip(beam_origin, extensions)]
        )
        report.compare("decoder beam reorder", beam_log_probs, expected_beam)

        # The device decoder: cross_kv once, then step. Two chunks of different lengths in one
        # batch (the shorter padded), two rows each, against the reference on each chunk alone.
        short = FRAMES - 2
        memory_k, memory_v, memory_bias = decoder.cross_kv(batch_out, padding)
        rows = 2
        cache_k = cache_v = empty_cache(2 * rows)
        second_tokens = [special["eos"]] + [non_special[i] for i in reversed(picks)]
        expected_device = [
            reference.decoder(torch.tensor([tokens]), batch_out[0:1])[0],
            reference.decoder(torch.tensor([second_tokens]), batch_out[1:2, :short])[0],
        ]
        for step in range(len(tokens)):
            step_tokens = torch.tensor([[tokens[step]]] * rows + [[second_tokens[step]]] * rows)
            log_probs, cache_k, cache_v = decoder.step(step_tokens, memory_k, memory_v, memory_bias, cache_k, cache_v, torch.tensor(step))
            for chunk in range(2):
                for row in range(rows):
                    report.compare(f"device step {step} chunk {chunk} row {row}", log_probs[chunk * rows + row], expected_device[chunk][step])
        # select_memory keeps the second chunk alone; its rows keep decoding.
        memory_k, memory_v, memory_bias = decoder.select_memory(memory_k, memory_v, memory_bias, torch.tensor([1]))
        extra = non_special[picks[0]]
        log_probs, _, _ = decoder.step(
            torch.tensor([[extra]] * rows), memory_k, memory_v, memory_bias, cache_k, cache_v, torch.tensor(len(tokens)), torch.tensor([2, 3])
        )
        expected_after = reference.decoder(torch.tensor([second_tokens + [extra]]), batch_out[1:2, :short])[0, -1]
        report.compare("device step after select_memory", log_probs[0], expected_after)

        banned = [special["bos"], special["pad"]]
        greedy_tokens = greedy(reference, expected_encoder, manifest["decoder"]["startTokenId"], special["eos"], banned, FRAMES)

    if dump:
        os.makedirs(dump, exist_ok=True)

        def raw(name: str, tensor: torch.Tensor) -> Dict[str, Any]:
            tensor = tensor.detach().to(torch.float32).contiguous()
            with open(os.path.join(dump, name), "wb") as handle:
                handle.write(tensor.numpy().tobytes())
            return {"file": name, "shape": list(tensor.shape)}

        index = {
            "tolerance": TOLERANCE,
            "frames": FRAMES,
            "mode": manifest["mode"],
            "video": raw("video.f32", video),
            "audio": raw("audio.f32", audio),
            "encoderOut": raw("encoder_out.f32", expected_encoder),
            "decoderTokens": tokens,
            "decoderLogProbs": raw("decoder_log_probs.f32", expected_steps),
            "beam": {"first": first, "second": second, "extensions": extensions, "origin": beam_origin},
            "beamLogProbs": raw("beam_log_probs.f32", expected_beam),
            "greedyTokens": greedy_tokens,
            "pythonErrors": report.errors,
        }
        with open(os.path.join(dump, "index.json"), "w", encoding="utf-8") as handle:
            json.dump(index, handle, indent=2)

    failures = report.failures()
    if failures:
        raise AssertionError(f"{package} differs from the reference:\n  " + "\n  ".join(failures))
    return {"package": package, "maxRelativeError": max(report.errors.values()), "checks": len(report.errors), "greedyTokens": greedy_tokens}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--sentencepiece-model")
    parser.add_argument("--dump", help="folder for the inputs and reference outputs the Node test replays")
    args = parser.parse_args()
    torch.set_num_threads(min(4, os.cpu_count() or 1))
    try:
        print(json.dumps(verify_package(args.checkpoint, args.package, args.sentencepiece_model, args.dump)))
    except (CheckpointError, AssertionError) as error:
        print(f"verify_export: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
