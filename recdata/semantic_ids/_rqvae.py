"""RQ-VAE (TIGER): an MLP autoencoder whose latent is residual-quantised; CPU, seeded, deterministic."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from recdata.errors import MissingExtra
from recdata.semantic_ids._kmeans import Quantization, kmeans


def _torch():  # noqa: ANN202 - torch is optional
    try:
        import torch
    except ImportError as exc:
        raise MissingExtra("torch", "embed", "rq-vae semantic IDs") from exc
    return torch


@contextlib.contextmanager
def _deterministic(torch) -> Iterator[None]:  # noqa: ANN001
    """One intra-op thread and deterministic kernels while training; restored afterwards."""
    threads = torch.get_num_threads()
    was = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was)
        torch.set_num_threads(threads)


def _mlp(torch, dims: list[int]):  # noqa: ANN001, ANN202
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def _levels(torch, z, codebooks):  # noqa: ANN001, ANN202
    """Residual quantisation of ``z``: codes, quantised sum (detached), last input residual,
    codebook loss and commitment loss."""
    residual, total = z, torch.zeros_like(z)
    codes, last = [], z
    book_loss, commit = z.new_zeros(()), z.new_zeros(())
    for book in codebooks:
        last = residual
        idx = torch.cdist(residual.detach(), book.detach()).argmin(dim=1)
        q = book[idx]
        book_loss = book_loss + ((q - residual.detach()) ** 2).sum(dim=1).mean()
        commit = commit + ((residual - q.detach()) ** 2).sum(dim=1).mean()
        codes.append(idx)
        total = total + q.detach()
        residual = residual - q.detach()
    return torch.stack(codes, dim=1), total, last, book_loss, commit


def rq_vae(
    x: np.ndarray,
    *,
    levels: int,
    codebook: int,
    seed: int,
    niter: int,
    epochs: int,
    batch_size: int,
    lr: float,
    latent_dim: int,
    hidden: list[int],
    beta: float,
) -> Quantization:
    """Train an RQ-VAE on ``x`` and return every item's codes.

    Codebooks start from residual k-means of the initial latents (as TIGER's reproductions
    do); the loss is reconstruction MSE + codebook MSE + ``beta`` x commitment MSE, with the
    straight-through estimator. Batches come from a seeded ``torch.Generator``.
    """
    torch = _torch()
    with _deterministic(torch):
        torch.manual_seed(seed)
        data = torch.from_numpy(np.array(x, dtype=np.float32, copy=True))
        dims = [data.shape[1], *hidden, latent_dim]
        encoder, decoder = _mlp(torch, dims), _mlp(torch, dims[::-1])
        with torch.no_grad():
            init = residual_init(encoder(data).numpy(), levels, codebook, seed, niter)
        codebooks = torch.nn.ParameterList([torch.nn.Parameter(torch.from_numpy(c)) for c in init])
        params = [*encoder.parameters(), *decoder.parameters(), *codebooks.parameters()]
        optim = torch.optim.Adam(params, lr=lr)
        generator = torch.Generator().manual_seed(seed)
        n = data.shape[0]
        last_loss = float("nan")
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch_size):
                batch = data[order[start : start + batch_size]]
                z = encoder(batch)
                _, zq, _, book_loss, commit = _levels(torch, z, codebooks)
                recon = decoder(z + (zq - z).detach())
                loss = ((recon - batch) ** 2).sum(dim=1).mean() + book_loss + beta * commit
                optim.zero_grad(set_to_none=True)
                loss.backward()
                optim.step()
                last_loss = float(loss.detach())
        with torch.no_grad():
            z = encoder(data)
            codes, zq, _, _, _ = _levels(torch, z, codebooks)
            return Quantization(
                codes=codes.numpy().astype(np.int64),
                residual=(z - zq).numpy().astype(np.float32),
                last_codebook=codebooks[-1].detach().numpy().astype(np.float32).copy(),
                details={"final_loss": round(last_loss, 6), "torch_threads": 1},
            )


def residual_init(
    z: np.ndarray, levels: int, codebook: int, seed: int, niter: int
) -> list[np.ndarray]:
    """Codebooks from residual k-means of the latents (one per level)."""
    books, residual = [], z.astype(np.float32)
    for level in range(levels):
        centroids, assign = kmeans(residual, codebook, seed=seed + level, niter=niter)
        books.append(centroids.copy())
        residual = residual - centroids[assign]
    return books
