"""Raw-format readers and the mapping of raw columns into the canonical schema."""

from recdata.normalize._clean import clean_html, clean_html_list, clean_html_value
from recdata.normalize._mapping import (
    FieldSpec,
    LookupSpec,
    ReaderOptions,
    TableSpec,
    map_table,
    read_table,
)
from recdata.normalize._readers import (
    READERS,
    ReadResult,
    read_delimited,
    read_jsonl,
    read_parquet,
    read_python_literal,
)

__all__ = [
    "clean_html",
    "clean_html_list",
    "clean_html_value",
    "FieldSpec",
    "LookupSpec",
    "ReaderOptions",
    "TableSpec",
    "map_table",
    "read_table",
    "READERS",
    "ReadResult",
    "read_delimited",
    "read_jsonl",
    "read_parquet",
    "read_python_literal",
]
