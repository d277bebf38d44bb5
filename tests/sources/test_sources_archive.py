"""Archives: zip/tar/gzip extraction with member checksums, zip-slip refusal, raw-dir members."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from sources.sources_http import FileServer, sha256

from recdata.errors import ChecksumMismatch, SourceError
from recdata.sources import Member, Source, fetch, safe_member_path

DATA = b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n"
ITEMS = "1|Mis\xe9rables, Les (1995)|\n".encode("latin-1")
FAST = dict(backoff=0.01, max_wait=10.0)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, body in entries.items():
            zf.writestr(name, body)
    return buffer.getvalue()


def _tar(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, body in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buffer.getvalue()


def _members() -> list[Member]:
    return [
        Member(name="ml-100k/u.data", sha256=sha256(DATA), size=len(DATA)),
        Member(name="ml-100k/u.item", md5=hashlib.md5(ITEMS).hexdigest()),
    ]


def _zip_source(url: str, body: bytes, **kw: object) -> Source:
    return Source(
        name="ml",
        urls=[url],
        sha256=sha256(body),
        archive="zip",
        members=_members(),
        **kw,  # type: ignore[arg-type]
    )


def test_zip_members_extracted_and_verified(http_server: FileServer, tmp_path: Path) -> None:
    body = _zip({"ml-100k/u.data": DATA, "ml-100k/u.item": ITEMS, "ml-100k/README": b"r"})
    url = http_server.add("/ml-100k.zip", body)
    got = fetch([_zip_source(url, body)], home=tmp_path, **FAST)["ml"]
    assert set(got.members) == {"ml-100k/u.data", "ml-100k/u.item"}  # only declared members
    assert got.members["ml-100k/u.data"].read_bytes() == DATA
    assert got.members["ml-100k/u.item"].read_bytes() == ITEMS
    assert got.members["ml-100k/u.data"].is_relative_to(tmp_path / "extracted")
    again = fetch([_zip_source(url, body)], home=tmp_path, **FAST)["ml"]
    assert again.url == "cache" and again.members == got.members


def test_all_members_when_none_declared(http_server: FileServer, tmp_path: Path) -> None:
    body = _zip({"a/x.csv": b"1,2\n", "a/y.csv": b"3,4\n", "a/": b""})
    url = http_server.add("/all.zip", body)
    src = Source(name="s", urls=[url], sha256=sha256(body), archive="zip")
    got = fetch([src], home=tmp_path, **FAST)["s"]
    assert sorted(got.members) == ["a/x.csv", "a/y.csv"]


def test_member_checksum_mismatch(http_server: FileServer, tmp_path: Path) -> None:
    body = _zip({"ml-100k/u.data": DATA + b"1\t1\t1\t1\n", "ml-100k/u.item": ITEMS})
    url = http_server.add("/ml-100k.zip", body)
    with pytest.raises(ChecksumMismatch, match=r"member ml-100k/u\.data: size mismatch"):
        fetch([_zip_source(url, body)], home=tmp_path, **FAST)
    assert not (tmp_path / "extracted").exists() or not any((tmp_path / "extracted").rglob("u.*"))


def test_missing_member_listed(http_server: FileServer, tmp_path: Path) -> None:
    body = _zip({"ml-100k/u.data": DATA})
    url = http_server.add("/ml-100k.zip", body)
    with pytest.raises(SourceError, match=r"u\.item.*not in the archive"):
        fetch([_zip_source(url, body)], home=tmp_path, **FAST)


@pytest.mark.parametrize("evil", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt", "C:/x.txt"])
def test_zip_slip_refused(http_server: FileServer, tmp_path: Path, evil: str) -> None:
    body = _zip({"ok.txt": b"fine", evil: b"pwned"})
    url = http_server.add("/evil.zip", body)
    src = Source(name="s", urls=[url], sha256=sha256(body), archive="zip")
    home = tmp_path / "home"
    with pytest.raises(SourceError, match="zip-slip"):
        fetch([src], home=home, **FAST)
    assert not list(tmp_path.rglob("evil.txt")) and not list(tmp_path.rglob("ok.txt"))


def test_tar_slip_and_links_refused(http_server: FileServer, tmp_path: Path) -> None:
    body = _tar({"../evil.txt": b"x"})
    url = http_server.add("/evil.tar.gz", body)
    src = Source(name="s", urls=[url], sha256=sha256(body), archive="tar")
    with pytest.raises(SourceError, match="zip-slip"):
        fetch([src], home=tmp_path, **FAST)
    body = _tar({"a.txt": b"x"}, links={"link": "/etc/passwd"})
    url = http_server.add("/link.tar.gz", body)
    src = Source(name="s", urls=[url], sha256=sha256(body), archive="tar")
    with pytest.raises(SourceError, match="link"):
        fetch([src], home=tmp_path, **FAST)


def test_tar_and_gzip_archives(http_server: FileServer, tmp_path: Path) -> None:
    tar_body = _tar({"d/u.data": DATA})
    url = http_server.add("/d.tar.gz", tar_body)
    src = Source(
        name="t",
        urls=[url],
        sha256=sha256(tar_body),
        archive="tar",
        members=[Member(name="d/u.data", sha256=sha256(DATA))],
    )
    assert fetch([src], home=tmp_path, **FAST)["t"].members["d/u.data"].read_bytes() == DATA
    gz_body = gzip.compress(DATA)
    url = http_server.add("/ratings.tsv.gz", gz_body)
    src = Source(name="g", urls=[url], sha256=sha256(gz_body), archive="gzip")
    got = fetch([src], home=tmp_path, **FAST)["g"]
    assert got.members["ratings.tsv"].read_bytes() == DATA


def test_raw_dir_archive(tmp_path: Path) -> None:
    body = _zip({"ml-100k/u.data": DATA, "ml-100k/u.item": ITEMS})
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ml-100k.zip").write_bytes(body)
    src = _zip_source("https://files.example.invalid/ml-100k.zip", body)
    got = fetch([src], home=tmp_path / "home", raw_dir=raw)["ml"]
    assert got.url == "raw-dir" and got.path == raw / "ml-100k.zip"
    assert got.members["ml-100k/u.data"].read_bytes() == DATA
    assert (raw / "ml-100k.zip").read_bytes() == body


def test_raw_dir_extracted_members_verified(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "ml-100k").mkdir(parents=True)
    (raw / "ml-100k" / "u.data").write_bytes(DATA)
    (raw / "ml-100k" / "u.item").write_bytes(ITEMS)
    src = _zip_source("https://files.example.invalid/ml-100k.zip", b"zip never seen")
    got = fetch([src], home=tmp_path / "home", raw_dir=raw)["ml"]
    assert got.url == "raw-dir" and not got.missing
    assert got.members == {
        "ml-100k/u.data": raw / "ml-100k" / "u.data",
        "ml-100k/u.item": raw / "ml-100k" / "u.item",
    }
    # by basename, anywhere below raw-dir
    flat = tmp_path / "flat"
    (flat / "x").mkdir(parents=True)
    (flat / "x" / "u.data").write_bytes(DATA)
    (flat / "u.item").write_bytes(ITEMS)
    got = fetch([src], home=tmp_path / "home", raw_dir=flat)["ml"]
    assert got.members["ml-100k/u.data"] == flat / "x" / "u.data"
    # a modified member is caught, and left where it is
    (flat / "u.item").write_bytes(ITEMS + b"2|extra|\n")
    with pytest.raises(ChecksumMismatch, match=r"u\.item.*md5 mismatch"):
        fetch([src], home=tmp_path / "home", raw_dir=flat)
    assert (flat / "u.item").exists()


def test_safe_member_path() -> None:
    archive = Path("a.zip")
    assert safe_member_path(archive, "./x//y.csv") == "x/y.csv"
    assert safe_member_path(archive, "x\\y.csv") == "x/y.csv"
    for bad in ["..", "../x", "/x", "x/../../y", "D:\\x", ""]:
        with pytest.raises(SourceError):
            safe_member_path(archive, bad)
