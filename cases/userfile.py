"""User case files: the layers of a user's own model, as TOML or JSON, turned into ``Case``s.

A file holds a list ``cases`` (TOML: ``[[cases]]`` tables), each one layer in the oracle's
words (``examples/cases.toml`` is a commented example). ``load(path)`` reads it, chosen by
suffix (``.toml``: ``tomllib``, ``.json``: ``json``; nothing is ever evaluated), validates it
against the published schema ``cases/case_file.schema.json`` (JSON Schema draft 2020-12) and
then against the rules a schema cannot state (``_build``): groups divides both channel counts,
a per-axis list has one entry per spatial dimension, explicit padding leaves at least one
output element, an ``output_shape`` is one a transposed convolution can produce, names are
unique. Each case gives one ``Case`` per dtype, family ``"user"``, seeded from its name as the
built-in families are (``cases.families._seed``).

Every problem raises ``CaseFileError``, whose ``str()`` is one line: ``<file>: case '<name>':
<field>: <message>`` (``#<n>``, counted from 1, for a case without a usable name), or
``<file>: <message>`` for the file as a whole. No other exception escapes ``load``, whatever
the file holds.
"""

from __future__ import annotations

import codecs
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from tconv.cases.case import DTYPES, LAYOUTS, Case, OutputShape, Padding
from tconv.cases.families import (
    _seed,  # the built-in families' seeding, so user seeds match in kind
)

__all__ = ["FAMILY", "SCHEMA_PATH", "CaseFileError", "cases_of", "load", "schema"]

FAMILY = "user"
SCHEMA_PATH = Path(__file__).with_name("case_file.schema.json")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]*")
_SHOWN = 40  # characters of a value quoted in a message


class CaseFileError(ValueError):
    """A problem with a case file: ``file``, the ``case`` (its name or ``#n``, None for the
    file as a whole), the ``field`` (None when it concerns no one field) and the ``message``."""

    def __init__(self, file: str, case: str | None, field: str | None, message: str) -> None:
        self.file, self.case, self.field, self.message = file, case, field, message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.file]
        if self.case is not None:
            parts.append(f"case '{self.case}'")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return _one_line(": ".join(parts))


def _one_line(text: str) -> str:
    """Control characters and line separators (``str.splitlines`` breaks at U+2028, U+0085 and
    more) escaped, so that a file name or key cannot break the message over lines."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# --- the schema ------------------------------------------------------------------------------


def _is_integer(checker: object, instance: object) -> bool:
    # Draft 2020-12 counts 2.0 as an integer, and Python counts True as one: a layer's sizes
    # are written as integers, so both are refused.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@cache
def schema() -> dict:
    """The published schema of case files."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Any:
    return _Validator(schema())


# --- reading ---------------------------------------------------------------------------------


class _Refused(ValueError):
    """Valid JSON syntax that a case file still may not use."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    # JSON allows a key twice and json keeps the last; TOML refuses it, and so do we.
    table: dict = {}
    for key, value in pairs:
        if key in table:
            raise _Refused(f"not JSON we accept: key {_quote(key)} appears twice in an object")
        table[key] = value
    return table


def _no_constant(name: str) -> None:
    raise _Refused(f"not JSON: {name} is not a JSON value")


def _parse(file: str, path: Path) -> object:
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = getattr(error, "strerror", None) or str(error)
        raise CaseFileError(file, None, None, f"cannot read: {reason}") from None
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise CaseFileError(file, None, None,
                            f"unknown suffix {_quote(path.suffix)}: a case file is .toml or .json")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0  # editors add one
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        at = bom + error.start
        raise CaseFileError(file, None, None,
                            f"not UTF-8: byte {at} (0x{data[at]:02x}): {error.reason}") from None
    kind = "TOML" if suffix == ".toml" else "JSON"
    try:
        if kind == "TOML":
            return tomllib.loads(text)
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise CaseFileError(file, None, None, f"not {kind} we accept: nested too deeply") from None
    except json.JSONDecodeError as error:
        raise CaseFileError(file, None, None, f"not JSON: {error.msg} (at line {error.lineno}, "
                                              f"column {error.colno})") from None
    except _Refused as error:
        raise CaseFileError(file, None, None, str(error)) from None
    except ValueError as error:
        # tomllib.TOMLDecodeError (its message ends "(at line L, column C)"), or an integer
        # too long to convert (Python's 4300-digit limit), from either parser.
        raise CaseFileError(file, None, None, f"not {kind}: {_short(str(error), 200)}") from None


# --- explaining schema errors ----------------------------------------------------------------

_TYPE_WORDS = {"integer": "an integer", "array": "a list", "object": "a table",
               "string": "a string", "boolean": "true or false", "number": "a number"}
# Which problem of a case to name first: an unknown field often explains a missing one.
_FIRST = {"additionalProperties": 0, "required": 1}


def _short(text: str, limit: int = _SHOWN) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _quote(text: str) -> str:
    return json.dumps(_short(text))  # ensure_ascii: one line, printable


def _describe(value: object) -> str:
    """A value as a message shows it: short, one line, with its kind where that matters."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        digits = str(value)  # parsers refuse integers over 4300 digits, so str() succeeds
        return digits if len(digits) <= 24 else f"an integer of {len(digits.lstrip('-'))} digits"
    if isinstance(value, float):
        return f"{_short(repr(value))} (a float)"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"  # TOML dates and times


def _field(path: Sequence[object]) -> str:
    """``["padding", "output_shape", 0]`` -> ``padding.output_shape[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _ordered(errors: Iterable[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    return sorted(errors, key=lambda e: _FIRST.get(str(e.validator), 2))


def _explain(error: jsonschema.ValidationError) -> tuple[list[object], str]:
    """The path (in the document) and a message for one schema error; for an ``anyOf``, the
    error inside the one alternative whose kind matches the value, if there is one."""
    path, value, schema_ = list(error.absolute_path), error.instance, error.schema
    kind = error.validator
    if kind == "anyOf":
        branches: dict[object, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        matching = [subs for subs in branches.values()
                    if not any(s.validator in ("type", "enum") and list(s.absolute_path) == path
                               for s in subs)]
        if len(matching) == 1:
            return _explain(_ordered(matching[0])[0])
        return path, f"must be {schema_.get('title', 'something else')}, got {_describe(value)}"
    if kind == "type":
        expected = _TYPE_WORDS.get(str(schema_.get("type")), str(schema_.get("type")))
        return path, f"must be {expected}, got {_describe(value)}"
    if kind == "minimum":
        return path, f"must be >= {schema_['minimum']}, got {_describe(value)}"
    if kind == "maximum":
        return path, f"must be <= {schema_['maximum']}, got {_describe(value)}"
    if kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in schema_["enum"])
        return path, f"must be one of {allowed}, got {_describe(value)}"
    if kind == "required":
        missing = next(p for p in schema_["required"] if p not in value)
        return [*path, missing], "missing (required)"
    if kind == "additionalProperties":
        known = schema_.get("properties", {})
        unknown = next(k for k in value if k not in known)
        return [*path, unknown], f"unknown field (known: {', '.join(known)})"
    if "prefixItems" in schema_ and kind in ("items", "minItems"):
        return path, f"a [begin, end] pair has 2 entries, got {len(value)}"
    if kind == "minItems":
        least = schema_["minItems"]
        return path, f"needs at least {least} {'entry' if least == 1 else 'entries'}, got none"
    if kind == "maxItems":
        return path, (f"has {len(value)} entries, at most {schema_['maxItems']} "
                      "(1 to 3 spatial dimensions)")
    if kind == "uniqueItems":
        return path, "lists the same value twice"
    if kind == "pattern":
        return path, ("must start with a letter or digit and hold only letters, digits, "
                      f"'.', '_', '+', '=', '-', got {_describe(value)}")
    if kind == "minLength":
        return path, "must not be empty"
    if kind == "maxLength":
        return path, f"is longer than {schema_['maxLength']} characters"
    return path, f"does not match the schema ({kind})"


# --- building cases --------------------------------------------------------------------------


class _Problem(Exception):
    """A semantic problem in one case: the field and the message (the case is added later)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _per_axis(spec: dict, name: str, dims: int, default: int) -> tuple[int, ...]:
    """A field that is one integer for every axis, or one per axis (``dims`` of them)."""
    value = spec.get(name, default)
    if isinstance(value, int):
        return (value,) * dims
    if len(value) != dims:
        raise _Problem(name, f"has {len(value)} entries, but input_size has {dims} (one per "
                             "spatial dimension); or give one integer for every axis")
    return tuple(value)


def _full(n: int, k: int, s: int, d: int) -> int:
    """``L = (n - 1)*s + d*(k - 1) + 1``: the uncropped length (oracle/transpose.py)."""
    return (n - 1) * s + d * (k - 1) + 1


def _padding(spec: dict, dims: int, geometry: list[tuple[int, int, int, int]],
             output_padding: tuple[int, ...]) -> Padding:
    """The case's padding, checked: an explicit window must keep at least one element, an
    output_shape must be one the operation reaches (``_reachable``)."""
    value = spec.get("padding", 0)
    if isinstance(value, str):
        # SAME / VALID: every framework's window for these has at least n*s or L elements.
        return value
    if isinstance(value, dict):
        field = "padding.output_shape"
        size = value["output_shape"]
        sizes = (size,) * dims if isinstance(size, int) else tuple(size)
        if len(sizes) != dims:
            raise _Problem(field, f"has {len(sizes)} entries, but input_size has {dims} (one "
                                  "per spatial dimension); or give one integer for every axis")
        if any(output_padding):
            raise _Problem("output_padding", "must be 0 with an output_shape: the requested "
                                             "size already fixes the output window")
        for axis, (want, (n, k, s, d)) in enumerate(zip(sizes, geometry)):
            low, high = _reachable(n, k, s, d)
            if not low <= want <= high:
                where = field if isinstance(size, int) else f"{field}[{axis}]"
                raise _Problem(where, (
                    f"{want} is out of reach on axis {axis}: with input {n}, kernel {k}, stride "
                    f"{s}, dilation {d} a transposed convolution gives {low} to {high} elements "
                    f"(uncropped (n - 1)*s + d*(k - 1) + 1 = {_full(n, k, s, d)}, plus at most "
                    f"max(stride, dilation) - 1 = {max(s, d) - 1} by output_padding)"))
        return OutputShape(sizes)
    if isinstance(value, int):
        pairs, fields = ((value, value),) * dims, ["padding"] * dims
    else:
        if len(value) != dims:
            raise _Problem("padding", f"has {len(value)} entries, but input_size has {dims} "
                                      "(one per spatial dimension); or give one integer")
        pairs = tuple((p, p) if isinstance(p, int) else (p[0], p[1]) for p in value)
        fields = [f"padding[{axis}]" for axis in range(dims)]
    for axis, ((begin, end), op, (n, k, s, d), field) in enumerate(
            zip(pairs, output_padding, geometry, fields)):
        full = _full(n, k, s, d)
        size = full - begin - end + op
        # The oracle allows negative crops (zeros before/after the full result) and checks
        # only that the window is not negative (oracle/transpose.py, geometry); an empty
        # output has nothing to compare, so a case needs at least one element.
        if size < 1:
            raise _Problem(field, (
                f"leaves no output on axis {axis}: {full} - {begin} - {end} + output_padding "
                f"{op} = {size} (uncropped length (n - 1)*s + d*(k - 1) + 1 = {full}); "
                "the window needs at least one element"))
    return pairs


def _reachable(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """The output sizes a transposed convolution of this axis can have.

    The oracle's output size is ``L - begin - end + output_padding`` (oracle/transpose.py,
    ``Geometry.output_size``; semantics.md §1) with ``L = (n - 1)*s + d*(k - 1) + 1``. Every
    vocabulary that takes an output size resolves it with crops ``begin, end >= 0`` and
    ``0 <= output_padding < max(stride, dilation)``: PyTorch's ``_output_padding`` accepts
    ``min_size .. min_size + stride - 1`` (torch/nn/modules/conv.py) and its kernels require
    ``output_padding < stride or < dilation``; ONNX requires output_padding "less than the
    corresponding stride/dilation" and pads >= 0 (onnx docs/Operators.md, ConvTranspose);
    TF's output_shape must map back to n, i.e. ``L .. L + s - 1`` for VALID and ``(n-1)*s + 1
    .. n*s`` for SAME (tensorflow/core/framework/kernel_shape_util.cc). So the sizes are
    ``1`` (crops leave one element) to ``L + max(s, d) - 1`` (no crop, the largest
    output_padding); see oracle/rules/ for each rule.
    """
    return 1, _full(n, k, s, d) + max(s, d) - 1


def _build(spec: dict, file: str) -> list[Case]:
    """The ``Case``s (one per dtype) of one schema-valid case table, or ``_Problem``."""
    input_size = tuple(spec["input_size"])
    dims = len(input_size)
    kernel = _per_axis(spec, "kernel", dims, 1)
    stride = _per_axis(spec, "stride", dims, 1)
    dilation = _per_axis(spec, "dilation", dims, 1)
    output_padding = _per_axis(spec, "output_padding", dims, 0)
    in_channels, out_channels = spec["in_channels"], spec["out_channels"]
    groups = spec.get("groups", 1)
    if in_channels % groups or out_channels % groups:
        raise _Problem("groups", f"{groups} must divide in_channels ({in_channels}) and "
                                 f"out_channels ({out_channels})")
    geometry = list(zip(input_size, kernel, stride, dilation))
    padding = _padding(spec, dims, geometry, output_padding)
    dtypes = spec.get("dtype", "float32")
    layout = spec.get("layout", LAYOUTS[0])
    # The schema's enums say the same; these keep cases.case the one source of the names.
    for dtype in [dtypes] if isinstance(dtypes, str) else dtypes:
        if dtype not in DTYPES:
            raise _Problem("dtype", f"must be one of {', '.join(DTYPES)}, got {_quote(dtype)}")
    if layout not in LAYOUTS:
        raise _Problem("layout", f"must be one of {', '.join(LAYOUTS)}, got {_quote(layout)}")
    name = spec["name"]
    return [
        Case(family=FAMILY, name=name, batch=spec.get("batch", 1), in_channels=in_channels,
             out_channels=out_channels, groups=groups, input_size=input_size, kernel=kernel,
             stride=stride, dilation=dilation, padding=padding, output_padding=output_padding,
             bias=spec.get("bias", False), dtype=dtype, layout=layout,
             seed=_seed(FAMILY, name), source=spec.get("source") or f"user case file {file}")
        for dtype in ([dtypes] if isinstance(dtypes, str) else dtypes)
    ]


def _label(spec: object, index: int) -> str:
    """How messages name a case: its name when it is a usable one, else ``#n`` (from 1)."""
    name = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(name, str) and len(name) <= 100 and _NAME.fullmatch(name):
        return name
    return f"#{index + 1}"


def load(path: str | Path) -> tuple[Case, ...]:
    """The cases of a case file (``.toml`` or ``.json``), in file order, one per dtype.

    Raises ``CaseFileError`` (one line naming the file, the case and the field) for anything
    that is not a valid case file, and nothing else.
    """
    file = str(path)
    return cases_of(_parse(file, Path(path)), file)


def cases_of(document: object, file: str) -> tuple[Case, ...]:
    """The cases of a case-file document already parsed (``{"cases": [...]}``), validated as
    ``load`` validates a file; ``file`` names it in messages (``tconv port`` builds one from
    its options)."""
    try:
        errors = list(_validator().iter_errors(document))
    except RecursionError:
        raise CaseFileError(file, None, None, "nested too deeply") from None
    per_case: dict[int, list[jsonschema.ValidationError]] = {}
    top = []
    for error in errors:
        where = list(error.absolute_path)
        if len(where) >= 2 and where[0] == "cases" and isinstance(where[1], int):
            per_case.setdefault(where[1], []).append(error)
        else:
            top.append(error)
    if top:
        error = _ordered(top)[0]
        if error.validator == "type" and not error.absolute_path:
            raise CaseFileError(file, None, None, "must be a table (JSON: an object) holding a "
                                f"list 'cases', got {_describe(document)}")
        where, message = _explain(error)
        raise CaseFileError(file, None, _field(where), message)
    specs = document["cases"]
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        label = _label(spec, index)
        if index in per_case:
            where, message = _explain(_ordered(per_case[index])[0])
            raise CaseFileError(file, label, _field(where[2:]) or None, message)
        try:
            cases += _build(spec, file)
        except _Problem as problem:
            raise CaseFileError(file, label, problem.field, problem.message) from None
        if spec["name"] in seen:
            raise CaseFileError(file, label, "name",
                                f"duplicate: case #{seen[spec['name']] + 1} has the same name")
        seen[spec["name"]] = index
    return tuple(cases)
