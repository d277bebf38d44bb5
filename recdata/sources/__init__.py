"""Raw sources: declarations, download, cache, verification, mirrors, archives, raw-dir, Hub."""

from recdata.sources._archive import extract, safe_member_path
from recdata.sources._cache import Cache, cache_home
from recdata.sources._download import DownloadError, download
from recdata.sources._fetch import fetch
from recdata.sources._models import FetchedSource, HFFile, Member, Source, SourceVariant
from recdata.sources._verify import Digest, digest_file

__all__ = [
    "Cache",
    "Digest",
    "DownloadError",
    "FetchedSource",
    "HFFile",
    "Member",
    "Source",
    "SourceVariant",
    "cache_home",
    "digest_file",
    "download",
    "extract",
    "fetch",
    "safe_member_path",
]
