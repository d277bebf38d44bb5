"""The Python-literal -> JSON translator agrees with ast.literal_eval (generated and real lines)."""

from __future__ import annotations

import ast
import gzip
import json
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.normalize._pyliteral import fast_literal_to_json, literal_to_json, translate_lines


def _norm(value: object) -> object:
    """literal_eval's value as JSON would hold it: tuples and sets become lists."""
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _agrees(line: str) -> bool | None:
    """None if the fast path declines the line, else whether it matches ast.literal_eval."""
    text = fast_literal_to_json(line)
    if text is None:
        return None
    return json.loads(text) == _norm(ast.literal_eval(line))


# --------------------------------------------------------------------------- generated literals


def _render_str(s: str, style: int) -> str:
    if style == 0:
        return repr(s)  # Python 3 repr
    if style == 1:
        return "u" + repr(s)
    if style == 2:
        return "u" + ascii(s)  # Python 2 style: \xe9, \u2013, \U0001f600 escapes
    quote = '"' if "'" in s and '"' not in s else "'"
    body = s.replace("\\", "\\\\").replace(quote, "\\" + quote)
    for raw, escaped in (("\n", "\\n"), ("\r", "\\r"), ("\x00", "\\x00")):
        body = body.replace(raw, escaped)
    return quote + body + quote  # hand-written escapes, other quote char


# text the fast path must always take: no backslash, nothing beyond the BMP, no C0 controls
# but newline (always written as an escape), no surrogates
_FRIENDLY = st.text(
    alphabet=st.characters(
        max_codepoint=0xFFFF,
        blacklist_categories=("Cs",),
        blacklist_characters="\\" + "".join(map(chr, range(0x20))).replace("\n", ""),
    ),
    max_size=12,
)


@st.composite
def _literal(draw: st.DrawFn, depth: int = 0, friendly: bool = False) -> str:
    containers = ["list", "dict"] if friendly else ["list", "tuple", "dict"]
    kinds = ["str", "int", "float", "const"] + (containers if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "str":
        text = draw(_FRIENDLY if friendly else st.text(max_size=12))
        return _render_str(text, draw(st.integers(0, 3)))
    if kind == "int":
        return repr(draw(st.integers(-(2**63), 2**63 - 1)))
    if kind == "float":
        x = draw(st.floats(allow_nan=False, allow_infinity=False))
        return repr(x)
    if kind == "const":
        return draw(st.sampled_from(["True", "False", "None"]))
    items = draw(st.lists(_literal(depth + 1, friendly), max_size=4))
    if kind == "list":
        return "[" + ", ".join(items) + "]"
    if kind == "tuple":
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return _dict_of(draw, depth + 1, friendly)


def _dict_of(draw: st.DrawFn, depth: int, friendly: bool = False) -> str:
    keys = draw(st.lists(_FRIENDLY if friendly else st.text(max_size=8), max_size=5, unique=True))
    parts = []
    for key in keys:
        value = draw(_literal(depth, friendly))
        parts.append(f"{_render_str(key, draw(st.integers(0, 3)))}: {value}")
    return "{" + ", ".join(parts) + "}"


@st.composite
def dict_lines(draw: st.DrawFn, friendly: bool = False) -> str:
    return _dict_of(draw, 0, friendly)


@settings(max_examples=300, deadline=None)
@given(dict_lines())
def test_fast_path_agrees_with_literal_eval(line: str) -> None:
    assert _agrees(line) is not False
    # and the fallback agrees too
    assert json.loads(literal_to_json(line)) == _norm(ast.literal_eval(line))


@settings(max_examples=200, deadline=None)
@given(dict_lines(friendly=True))
def test_json_like_lines_take_the_fast_path(line: str) -> None:
    assert _agrees(line) is True


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_mistranslated(text: str) -> None:
    """Whatever the input, a fast-path answer always equals literal_eval's (or both fail)."""
    for line in (text, "{'k': " + text + "}", "{'k': '" + text + "'}"):
        out = fast_literal_to_json(line)
        if out is None:
            continue
        try:
            parsed = json.loads(out)
        except ValueError:
            continue  # the JSON parser rejects it: the reader then falls back per line
        reference = ast.literal_eval(line)  # must not raise: JSON accepted it
        assert parsed == _norm(reference)


@pytest.mark.parametrize(
    "line",
    [
        "{'asin': '0558925278', 'price': 12.99, 'salesRank': {'Beauty': 402875}}",
        "{u'publisher': u'Kotoshiro', u'early_access': False, u'id': u'761140', 'x': None}",
        "{'t': u'Caf\\xe9 \\u2122 it\\'s \"q\"', 'n': -3, 'e': 1e-05, 'l': [[u'a', 'b']]}",
        "{\"d\": \"it's\", 'e': ''}",
        "{'title': 'None of the above: True story', 'ok': True, 'n': None}",  # tier 2
        "{'t': (1, 2)}",
        "{'tab\\there': 'line\\nbreak', 'bs': 'a\\\\b'}",
    ],
)
def test_common_lines_stay_on_fast_path(line: str) -> None:
    if "\\\\" in line or "(" in line:
        assert fast_literal_to_json(line) is None  # doubled backslash, tuple: fallback by design
    else:
        assert _agrees(line) is True


@pytest.mark.parametrize(
    "line",
    [
        "{'a': (1, 2)}",
        "{'a': (1)}",
        "{'a': b'bytes'}",
        "{'a': r'raw\\d'}",
        "{'a': true}",
        "{'a': null}",
        "{'a': NaN}",
        "{'a': Infinity}",
        "{'a': '\\ud83d\\ude00'}",
        "{'a': '\\U0001f600'}",
        "{'a': '\\N{BULLET}'}",
        "{'a': '\\0'}",
        "{'a': f'x'}",
        "{'a': {1, 2}}",
        "{'a': 'x' 'y'}",
        "{'a': __import__('os')}",
        "{'a': '\x01'}",
    ],
)
def test_risky_constructs_never_take_the_fast_path_wrongly(line: str) -> None:
    out = fast_literal_to_json(line)
    if out is None:
        return
    try:
        parsed = json.loads(out)
    except ValueError:
        return
    assert parsed == _norm(ast.literal_eval(line))


def test_translate_lines_keeps_nulls_and_order() -> None:
    lines = pl.Series(["{'a': 1}", None, "{'a': (2,)}", "{'b': 'x'}"], dtype=pl.String)
    out = translate_lines(lines)
    assert out["json"][0] == '{"a": 1}' and out["json"][1] is None
    assert out["fallback"].to_list() == [False, None, True, False]
    assert json.loads(out["json"][3]) == {"b": "x"}


def test_literal_to_json_rejects_non_dicts() -> None:
    with pytest.raises(ValueError, match="expected a dict"):
        literal_to_json("[1, 2]")
    with pytest.raises(ValueError, match="not a Python literal"):
        literal_to_json("{'a': open('x')}")
    assert json.loads(literal_to_json("{'s': {1}, 'b': b'x'}")) == {"s": [1], "b": "x"}
    assert not math.isnan(json.loads(literal_to_json("{'f': 1.5}"))["f"])


# --------------------------------------------------------------------------- real lines


@pytest.mark.shared
def test_steam_lines_agree_with_literal_eval(shared_datasets: Path) -> None:
    path = shared_datasets / "steam" / "steam_games.json.gz"
    with gzip.open(path, "rt", encoding="utf8") as fh:
        lines = fh.read().split("\n")[:-1]
    assert len(lines) == 32135
    out = translate_lines(pl.Series(lines, dtype=pl.String))
    texts, fallback = out["json"].to_list(), out["fallback"].to_list()
    assert sum(fallback) < 100  # the fast path handles nearly every line
    for line, text, slow in zip(lines[::3], texts[::3], fallback[::3], strict=True):
        if not slow:
            assert json.loads(text) == _norm(ast.literal_eval(line)), line[:80]


_SOUP = st.sampled_from(
    ["True", "False", "None", "'", '"', "u'", "\\", "(", ")", "{", "}", "[", "]", ":", ",",
     " ", "1", "1.5", "e", "x", "\\x41", "\\'", "a", "b'", "\\\\", "\t"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_SOUP, max_size=20))
def test_token_soup_never_mistranslated(words: list[str]) -> None:
    """Adversarial mixes of quotes, keywords and escapes, in and out of strings."""
    soup = "".join(words)
    for line in (soup, "{'k': " + soup + "}", "{'k': '" + soup + "'}", "{'" + soup + "': 1}"):
        out = fast_literal_to_json(line)
        if out is None:
            continue
        try:
            parsed = json.loads(out)
        except ValueError:
            continue
        assert parsed == _norm(ast.literal_eval(line)), line
