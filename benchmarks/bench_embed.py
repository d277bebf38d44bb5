"""Pipeline overhead of text embeddings vs. a plain ``model.encode`` on the same texts.

Run by hand (not by pytest)::

    HF_HUB_OFFLINE=1 /tmp/venv/bin/python benchmarks/bench_embed.py [--repeat 3] [--batch-size 64]

Texts: MovieLens-100K titles+genres (1,682) and Amazon 2018 Gift Cards metadata rendered with
the default template (deduplicated, so both sides encode the same distinct texts). The
pipeline run starts from an empty cache each time (hashing, cache look-up, chunked cache
writes, frame assembly); a warm-cache run is reported too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import polars as pl  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
sys.path.insert(0, str(REPO / "tests"))


def corpora() -> dict[str, list[str]]:
    from recdata.features import DEFAULT_TEMPLATE, render_item_text

    sys.path.insert(0, str(REPO / "tests" / "features"))
    from test_real_text import _gift_cards, ml100k_items  # type: ignore[import-not-found]

    out = {}
    ml = render_item_text(ml100k_items(SHARED), template=DEFAULT_TEMPLATE)["text"]
    out["ml-100k titles+genres"] = ml.drop_nulls().unique(maintain_order=True).to_list()
    gift = render_item_text(_gift_cards(SHARED), template=DEFAULT_TEMPLATE, max_tokens=128)["text"]
    out["gift-cards meta (<=128 words)"] = gift.drop_nulls().unique(maintain_order=True).to_list()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's choice)"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="at most this many texts per corpus"
    )
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from recdata.features import TextSpec, embed_texts
    from recdata.features._models import load_sentence_transformer, resolve_model

    spec = TextSpec(batch_size=args.batch_size)
    ref = resolve_model(spec.model)
    model = load_sentence_transformer(ref.target, ref.revision, "cpu", False)
    print(
        f"load average {os.getloadavg()[0]:.2f}; model {ref.name} ({ref.revision}), torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"batch size {args.batch_size}, best of {args.repeat}"
    )
    for name, texts in corpora().items():
        texts = texts[: args.limit] if args.limit else texts
        frame = pl.DataFrame({"item_idx": list(range(1, len(texts) + 1)), "text": texts})
        model.encode(texts[:256], batch_size=args.batch_size)  # warm-up
        plain, cold, warm, plain_cpu, cold_cpu = [], [], [], [], []
        for rep in range(args.repeat):
            # alternate which side runs first, so load drifts on a shared machine hit both alike
            for side in ("plain", "pipeline") if rep % 2 == 0 else ("pipeline", "plain"):
                if side == "plain":
                    start, cpu = time.perf_counter(), time.process_time()
                    model.encode(
                        texts,
                        batch_size=args.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                    plain.append(time.perf_counter() - start)
                    plain_cpu.append(time.process_time() - cpu)
                    continue
                with tempfile.TemporaryDirectory() as cache:
                    start, cpu = time.perf_counter(), time.process_time()
                    embed_texts(frame, spec, cache_dir=Path(cache), progress=False)
                    cold.append(time.perf_counter() - start)
                    cold_cpu.append(time.process_time() - cpu)
                    start = time.perf_counter()
                    embed_texts(frame, spec, cache_dir=Path(cache), progress=False)
                    warm.append(time.perf_counter() - start)
        p, c, w = min(plain), min(cold), min(warm)
        pc, cc = min(plain_cpu), min(cold_cpu)
        print(
            f"{name}: {len(texts):,} texts | wall: model.encode {p:.2f}s ({len(texts) / p:,.0f}/s), "
            f"pipeline (empty cache) {c:.2f}s ({(c / p - 1) * 100:+.1f}%) | CPU time: {pc:.2f}s vs "
            f"{cc:.2f}s ({(cc / pc - 1) * 100:+.1f}%) | warm cache {w:.3f}s | load {os.getloadavg()[0]:.2f}"
        )


if __name__ == "__main__":
    main()
