"""Escaping of stored strings for the places where the dashboard shows them.

Every string that comes from the run store (experiment and run names, tags, metric names, string
hyperparameters, log text) is untrusted: a training script chose it. HTML pages escape it through
Jinja2's autoescaping and the browser code inserts it with ``textContent``. The two helpers here
cover the other two places: JSON inside an HTML ``<script>`` element, and text that Plotly draws.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["json_for_script", "json_safe", "plotly_text", "scene_text"]

# "</script>" or "<!--" inside a script element would end or change it, and U+2028/U+2029 end a
# line inside a JavaScript string literal in older engines. JSON allows each of them escaped.
_SCRIPT_ESCAPES = str.maketrans({
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
})

# Plotly reads a small HTML subset in every text it draws (titles, tick labels, hover text,
# legend entries) and decodes character entities, so an entity is how literal text gets through.
_PLOTLY_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

# Text in 3-D scenes (drawn by WebGL) decodes no entities but reads <b>, <i>, <sub>, <sup> and
# <br> as markup (seen with plotly.js 4.1), so a word joiner after "<" keeps such a tag literal.
_SCENE_TAG = re.compile(r"<(?=/?(?:b|i|sub|sup|br)\b)", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def json_safe(value: Any) -> Any:
    """Return ``value`` with every non-finite float replaced by None, so that JSON can carry it.

    JSON has no NaN or infinity, and browsers reject them in ``JSON.parse``. Tuples become lists.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None

    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}

    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [json_safe(item) for item in value]

    return value


def json_for_script(value: Any) -> str:
    """Serialise ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    The text contains no ``<``, ``>`` or ``&`` (they are written as ``\\u003c`` and so on), so
    stored strings cannot close the element or start a comment. Non-finite floats become null.
    """
    text = json.dumps(json_safe(value), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))
    return text.translate(_SCRIPT_ESCAPES)


def plotly_text(text: object) -> str:
    """Return ``text`` as a string that Plotly draws literally instead of reading it as HTML.

    This applies to titles, axis and tick labels, legends, colour bars, hover text and the axis
    labels of parallel coordinates. The tick labels of parallel coordinates are plain text and
    take the string as it is, and 3-D scenes take :func:`scene_text`.
    """
    return str(text).translate(_PLOTLY_ESCAPES)


def scene_text(text: object) -> str:
    """Return ``text`` as a string that a Plotly 3-D scene draws literally (axis titles and
    tick labels)."""
    return _SCENE_TAG.sub("<" + _WORD_JOINER, str(text))
