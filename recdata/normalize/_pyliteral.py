"""Translate Python-literal lines (``{u'a': u'b', 'c': True}``) into JSON text, safely and fast.

The Amazon 2014 metadata and the Steam games file hold one Python ``repr`` of a dict per line.
``ast.literal_eval`` reads them correctly but slowly; here the common subset of the grammar is
rewritten into JSON by a few vectorised regex / Aho-Corasick passes in polars (Rust), and every
line the rewrite does not fully understand is flagged so the caller falls back to
``ast.literal_eval`` for it. Nothing is ever ``eval``-ed.

What the fast path accepts (anything else is flagged): single- or double-quoted strings with an
optional ``u`` prefix whose escapes are ``\\\\ \\' \\" \\n \\r \\t \\b \\f \\xNN`` or a non-surrogate
``\\uNNNN``; ``True``/``False``/``None``; and, left for the JSON parser to judge, numbers, ``{}``,
``[]``, ``:``, ``,``. Tuples (parentheses), bytes, raw strings, sets, other names and lines holding
a doubled backslash or control bytes ``\\x00-\\x08`` are flagged. Lines the JSON parser later
rejects (``1.``, trailing commas, non-string keys...) fall back the same way.

Two vectorised tiers: tier 1 (nearly every real line) wraps string tokens with a capture-free
regex and rewrites delimiters, escapes and keywords in one Aho-Corasick pass; it applies only
when nothing but numbers, punctuation, blanks and keywords lies outside the strings and no string
contains ``True``/``False``/``None``. Tier 2 tokenises strings, keywords and unsupported tokens
with one capturing regex (leftmost-first, so the scan stays aligned on token boundaries).
Both are checked against ``ast.literal_eval`` by property tests.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import polars as pl

_ESC = (
    r"""\\(?:[\\'"nrtbf]|x[0-9a-fA-F]{2}"""
    r"""|u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))"""
)
_BODY_SINGLE = r"""[^'\\\x00-\x1f]*(?:""" + _ESC + r"""[^'\\\x00-\x1f]*)*"""
_BODY_DOUBLE = r"""[^"\\\x00-\x1f]*(?:""" + _ESC + r"""[^"\\\x00-\x1f]*)*"""
_SINGLE = "[uU]?'(" + _BODY_SINGLE + ")'"
_DOUBLE = '[uU]?"(' + _BODY_DOUBLE + ')"'
_KEYWORD = r"""(?-u:\b)(True|False|None)(?-u:\b)"""
_OTHER = r"""((?-u:\b)[A-Za-z_][0-9A-Za-z_]*['"]?|['"()\\])"""
TOKEN_PATTERN = "|".join([_SINGLE, _DOUBLE, _KEYWORD, _OTHER])
"""Strings (groups 1, 2), keywords (3) and anything unsupported (4), matched leftmost-first so
the scan stays aligned on token boundaries."""

# Strings become \x01body\x01\x02\x03, keywords \x01\x01\x02Kw\x03, unsupported tokens
# \x01\x01<token>\x02\x03: the sequence \x01\x01 followed by anything but \x02 flags the line.
_TEMPLATE = "\x01${1}${2}\x01${4}\x02${3}\x03"
_UNSUPPORTED = "\x01\x01[^\x02]"
_PRECHECK = r"[\x00-\x08]|\\\\"
_FINAL = {
    '\\"': '\\"',  # an escaped double quote stays as it is
    '"': '\\"',  # a bare double quote can only be string content here
    "\\'": "'",
    "\\x": "\\u00",  # every backslash starts an escape (no doubled backslash on the fast path)
    "\x01\x01\x02True\x03": "true",
    "\x01\x01\x02False\x03": "false",
    "\x01\x01\x02None\x03": "null",
    "\x01\x02\x03": '"',
    "\x01": '"',
}


# Tier 1 (most lines): whole string tokens are wrapped as \x01<token>\x02 by a regex without
# capture groups (much cheaper), then delimiters, escapes and keywords are rewritten by one
# Aho-Corasick pass. It is used when (a) outside the strings there is nothing but numbers,
# punctuation, blanks and keywords, and (b) no string holds the text True/False/None (which the
# blanket keyword replacement would alter). Other lines go to tier 2 (TOKEN_PATTERN above).
_STRING_TOKENS = "[uU]?'" + _BODY_SINGLE + "'|" + '[uU]?"' + _BODY_DOUBLE + '"'
"""Single- and double-quoted strings, without capture groups."""
_OUTSIDE = r"(?:[0-9.eE+\- \t{}\[\]:,]|True|False|None)"
_ONLY_ALLOWED_OUTSIDE = r"^(?:" + _OUTSIDE + r"*\x01[^\x02]*\x02)*" + _OUTSIDE + r"*$"
_KEYWORD_IN_STRING = r"\x01[^\x02]*(?:True|False|None)"
_FINAL_TIER1 = {
    **{f"\x01{prefix}{quote}": '"' for prefix in ("u", "U", "") for quote in "'\""},
    "'\x02": '"',
    '"\x02': '"',
    '\\"': '\\"',
    "\\'": "'",
    "\\x": "\\u00",
    '"': '\\"',
    "True": "true",
    "False": "false",
    "None": "null",
}


def _translate_expr(col: str) -> tuple[pl.Expr, pl.Expr]:
    """Tier 2: JSON text of ``col`` and whether that line needs the ``literal_eval`` fallback."""
    line = pl.col(col)
    marked = line.str.replace_all(TOKEN_PATTERN, _TEMPLATE)
    needs_fallback = line.str.contains(_PRECHECK) | marked.str.contains(_UNSUPPORTED)
    text = marked.str.replace_many(list(_FINAL), list(_FINAL.values()), leftmost=True)
    return text, needs_fallback


def _tier1_exprs(col: str) -> tuple[pl.Expr, pl.Expr]:
    """Tier 1: JSON text of ``col`` and whether tier 1 applies to that line."""
    line = pl.col(col)
    wrapped = line.str.replace_all(_STRING_TOKENS, "\x01${0}\x02")
    applies = (
        wrapped.str.contains(_ONLY_ALLOWED_OUTSIDE)
        & ~wrapped.str.contains(_KEYWORD_IN_STRING)
        & ~line.str.contains(_PRECHECK)
    )
    text = wrapped.str.replace_many(list(_FINAL_TIER1), list(_FINAL_TIER1.values()), leftmost=True)
    return text, applies


def _in_parallel(frame: pl.DataFrame, exprs: list[pl.Expr], chunks: int | None) -> pl.DataFrame:
    """Evaluate ``exprs`` over row slices of ``frame`` that polars runs concurrently."""
    n = frame.height
    chunks = max(1, min(chunks or pl.thread_pool_size(), max(1, n // 2048)))
    step = -(-n // chunks)
    parts = [frame.slice(i * step, step).lazy().select(exprs) for i in range(chunks)]
    return pl.concat(pl.collect_all(parts))


def translate_lines(lines: pl.Series, *, chunks: int | None = None) -> pl.DataFrame:
    """JSON text for each Python-literal line: columns ``json`` (String) and ``fallback`` (Boolean).

    A line with ``fallback`` true must be parsed with :func:`literal_to_json` instead; its ``json``
    value is meaningless. Null lines stay null. Work is split into ``chunks`` (default: the polars
    thread-pool size) that polars runs in parallel.
    """
    if len(lines) == 0:
        return pl.DataFrame(
            {"json": pl.Series([], dtype=pl.String), "fallback": pl.Series([], dtype=pl.Boolean)}
        )
    frame = pl.DataFrame({"line": lines.cast(pl.String)})
    text1, applies = _tier1_exprs("line")
    first = _in_parallel(frame, [text1.alias("json"), applies.alias("tier1")], chunks)
    rest = ~first["tier1"].fill_null(True)
    out = first.select("json", (~pl.col("tier1")).alias("fallback"))
    if rest.any():
        text2, fallback2 = _translate_expr("line")
        second = _in_parallel(
            frame.filter(rest), [text2.alias("json"), fallback2.alias("fallback")], chunks
        )
        idx = rest.arg_true()
        out = out.with_columns(
            out["json"].scatter(idx, second["json"]),
            out["fallback"].scatter(idx, second["fallback"]),
        )
    return out


def _jsonable(value: Any) -> Any:
    """``json.dumps`` default for literal values JSON lacks: sets become lists, bytes text."""
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf8", errors="replace")
    if isinstance(value, complex):
        return str(value)
    raise TypeError(f"cannot represent {type(value).__name__} as JSON")


def literal_to_json(line: str) -> str:
    """The slow, obviously-correct path: ``ast.literal_eval`` one line and dump it as JSON.

    Raises ``ValueError`` (with a short reason) when the line is not a Python dict literal.
    """
    try:
        value = ast.literal_eval(line)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError(f"not a Python literal ({type(exc).__name__}: {exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a dict literal, got {type(value).__name__}")
    try:
        return json.dumps(value, ensure_ascii=False, default=_jsonable, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None


def fast_literal_to_json(line: str) -> str | None:
    """Translate one line by the fast path; ``None`` when it needs the fallback (for tests)."""
    out = translate_lines(pl.Series([line], dtype=pl.String), chunks=1)
    return None if out["fallback"][0] else out["json"][0]
