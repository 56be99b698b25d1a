"""A small parser for the cbindgen-generated ``include/akms.h``.

Good enough for what cbindgen writes: function prototypes, function-pointer
typedefs, plain structs and integer constants (``#define`` or enum members).
Types come back normalised as space-separated tokens: ``const char * const *``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[3]
HEADER = REPO / "include" / "akms.h"


@dataclass
class Header:
    functions: Dict[str, Tuple[str, List[str]]] = field(default_factory=dict)
    fn_typedefs: Dict[str, Tuple[str, List[str]]] = field(default_factory=dict)
    structs: Dict[str, List[Tuple[str, str]]] = field(default_factory=dict)
    constants: Dict[str, int] = field(default_factory=dict)


def norm(ctype: str) -> str:
    tokens = re.findall(r"\w+|\*", ctype)
    return " ".join(t for t in tokens if t not in ("struct", "enum"))


def _split_param(param: str) -> Tuple[str, str]:
    """``"const char *const *dns_names"`` -> (type, name)."""
    m = re.match(r"^(.*?)(\w+)\s*$", param.strip(), re.S)
    if not m or not re.search(r"\w", m.group(1)):
        return norm(param), ""  # unnamed parameter
    return norm(m.group(1)), m.group(2)


def _params(text: str) -> List[str]:
    text = text.strip()
    if text in ("", "void"):
        return []
    return [_split_param(p)[0] for p in text.split(",")]


def parse(text: str) -> Header:
    h = Header()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    for name, value in re.findall(r"^\s*#\s*define\s+(AKMS_\w+)\s+(.+?)\s*$", text, re.M):
        num = re.search(r"(0x[0-9a-fA-F]+|\d+)\s*\)*\s*[uU]?\s*$", value)
        if num:
            h.constants[name] = int(num.group(1), 0)
    text = re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)
    text = re.sub(r'extern\s+"C"\s*\{', " ", text)
    for name, value in re.findall(r"\b(AKMS_\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)", text):
        h.constants[name] = int(value, 0)
    # structs: `struct TAG { ... }`, `typedef struct [TAG] { ... } NAME;`
    for m in re.finditer(r"\bstruct\s+(\w*)\s*\{([^{}]*)\}\s*(\w*)", text):
        fields = []
        for decl in m.group(2).split(";"):
            if decl.strip():
                ctype, name = _split_param(decl)
                fields.append((name, ctype))
        for name in {m.group(1), m.group(3)} - {""}:
            h.structs[name] = fields
    while re.search(r"\{[^{}]*\}", text):
        text = re.sub(r"\{[^{}]*\}", " ", text)
    for stmt in text.split(";"):
        stmt = " ".join(stmt.split())
        if not stmt or stmt == "}":
            continue
        stmt = stmt.lstrip("} ")
        fp = re.match(r"^typedef\s+(.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", stmt)
        if fp:
            h.fn_typedefs[fp.group(2)] = (norm(fp.group(1)), _params(fp.group(3)))
            continue
        if stmt.startswith("typedef"):
            continue
        fn = re.match(r"^(.+?)\b(akms_\w+)\s*\((.*)\)$", stmt)
        if fn:
            ret = norm(re.sub(r"\b(extern|static|inline)\b", " ", fn.group(1)))
            h.functions[fn.group(2)] = (ret, _params(fn.group(3)))
    return h


def load() -> Header:
    return parse(HEADER.read_text()) if HEADER.is_file() else Header()


#: Parsed once per test session.
HEADER_INFO = load()
