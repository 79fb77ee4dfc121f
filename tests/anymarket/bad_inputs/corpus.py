"""The bad-input corpus: the kinds of malformed or hostile input every inbound path must survive.

Each test module of this package declares ``COVERED = {kind: [test ids]}`` for its inbound path, and
``test_corpus_is_covered`` checks that every path covers every kind, so a new kind or path cannot be
added without its tests. A hostile-but-valid input (HTML in a title, an SQL-looking code) is not an
error: the tests prove it is stored as text and changes nothing else.
"""

from __future__ import annotations

KINDS = (
    "truncated_json",
    "wrong_types",
    "huge_strings",
    "html_script",
    "sql_like_codes",
    "unknown_enums",
    "missing_required",
    "negative_quantities",
    "dates_without_timezone",
)

HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = "SKU-1'; DROP TABLE skus; --"
HUGE = "A" * 100_000
