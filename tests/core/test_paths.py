"""The message-path grammar the starter construct, its Lambda and the CLI share."""

from __future__ import annotations

from typing import Any

import pytest

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.paths import MISSING, PATH_MAX_LENGTH, Path


@pytest.mark.parametrize(
    ("path", "document", "expected"),
    [
        ("id", {"id": 7}, 7),
        ("$.meta.requestId", {"meta": {"requestId": "r-1"}}, "r-1"),
        ("meta.requestId", {"meta": {"requestId": "r-1"}}, "r-1"),
        ("$.items[1].id", {"items": [{"id": "a"}, {"id": "b"}]}, "b"),
        ("$[0]", ["first"], "first"),
        ("[0].id", [{"id": "x"}], "x"),
        ("$.my key", {"my key": 1}, 1),
        ("$.clé.値", {"clé": {"値": True}}, True),
        ("$.a-b_c", {"a-b_c": None}, None),
        ("$.a.b", {"a": {}}, MISSING),
        ("$.items[5]", {"items": []}, MISSING),
        ("$.a.b", {"a": "not an object"}, MISSING),
        ("$[0]", {"0": "objects are not arrays"}, MISSING),
        ("$.0", ["arrays are not objects"], MISSING),
    ],
)
def test_paths_find_values(path: str, document: Any, expected: Any) -> None:
    assert Path.parse(path, "ID_FIELD").find(document) == expected


@pytest.mark.parametrize(
    "path",
    ["a..b", "a.", "a[x]", "a[0]b", "$.", "[", "$", "", " a", "a ", "a\nb", "a\u00a0b", "a[-1]"],
)
def test_invalid_paths_name_the_property(path: str) -> None:
    with pytest.raises(A2IValidationError, match=r"^id_field must be a path into the message"):
        Path.parse(path, "id_field")


def test_the_root_is_a_path_only_where_allowed() -> None:
    assert Path.parse("$", "INPUT_PATH", allow_root=True).find({"a": 1}) == {"a": 1}
    with pytest.raises(A2IValidationError, match="names a field"):
        Path.parse("$", "ID_FIELD")


def test_huge_paths_are_refused_before_parsing() -> None:
    with pytest.raises(A2IValidationError, match=f"at most {PATH_MAX_LENGTH} characters"):
        Path.parse("a." * PATH_MAX_LENGTH + "a", "id_field")


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(A2IValidationError, match="printable"):
        Path.parse("$.\ud800", "id_field")
