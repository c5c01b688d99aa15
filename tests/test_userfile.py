"""User case files (``cases.userfile``): the example loads into the expected cases, every kind of
bad input is one ``CaseFileError`` line naming the file, the case and the field, and no input at
all (arbitrary bytes, arbitrary JSON-like values, near-valid cases) lets another exception out."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import examples
from tconv.cases.case import DTYPES, LAYOUTS, Case, OutputShape
from tconv.cases.families import _seed
from tconv.cases.userfile import SCHEMA_PATH, CaseFileError, load, schema
from tconv.oracle import geometry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cases.toml"

# One valid case to break one field at a time: n=4, k=3, s=2 gives L = 9.
BASE = {"name": "layer", "in_channels": 4, "out_channels": 6, "input_size": [4],
        "kernel": 3, "stride": 2}


def write(directory: Path, content: str | bytes, suffix: str = ".json",
          stem: str = "cases") -> Path:
    path = directory / f"{stem}{suffix}"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def document(*cases: dict) -> str:
    return json.dumps({"cases": list(cases)})


def failure(path: Path) -> CaseFileError:
    with pytest.raises(CaseFileError) as caught:
        load(path)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{path}: "), message
    return caught.value


# --- the example -----------------------------------------------------------------------------


def test_example_loads_into_the_expected_cases():
    cases = load(EXAMPLE)
    assert [c.id for c in cases] == [
        "user/dcgan-g1-100to512-k4s1p0/float32",
        "user/dcgan-g1-100to512-k4s1p0/float64",
        "user/dcgan-g2-512to256-k4s2p1/float32",
        "user/dcgan-g2-512to256-k4s2p1/float16",
        "user/dcgan-g5-64to3-k4s2p1-nhwc/float32-channels_last",
        "user/dcgan-tf-h2-256to128-k5s2-same/float32",
        "user/dcgan-tf-h2-256to128-k5s2-same/bfloat16",
        "user/dcgan-tf-h4-64to3-k5s2-out64/float32",
    ]
    by_id = {c.id: c for c in cases}
    first = by_id["user/dcgan-g1-100to512-k4s1p0/float32"]
    assert (first.batch, first.in_channels, first.out_channels, first.input_size, first.kernel,
            first.stride, first.padding, first.bias) == (2, 100, 512, (1, 1), (4, 4), (1, 1),
                                                        ((0, 0), (0, 0)), False)
    assert by_id["user/dcgan-g2-512to256-k4s2p1/float16"].padding == ((1, 1), (1, 1))
    nhwc = by_id["user/dcgan-g5-64to3-k4s2p1-nhwc/float32-channels_last"]
    assert (nhwc.layout, nhwc.padding) == ("channels_last", ((1, 1), (1, 1)))
    same = by_id["user/dcgan-tf-h2-256to128-k5s2-same/bfloat16"]
    assert (same.padding, same.bias, same.kernel) == ("SAME", True, (5, 5))
    assert by_id["user/dcgan-tf-h4-64to3-k5s2-out64/float32"].padding == OutputShape((64, 64))
    assert all(c.family == "user" and c.source for c in cases)


def test_example_seeds_come_from_the_names_and_are_stable():
    first, second = load(EXAMPLE), load(EXAMPLE)
    assert [c.seed for c in first] == [c.seed for c in second]
    assert all(c.seed == _seed("user", c.name) for c in first)
    # dtypes of one case share the seed (the same values in every dtype), names differ
    assert len({c.seed for c in first}) == len({c.name for c in first}) == 5


def test_json_with_the_same_fields_loads_the_same_cases(tmp_path):
    data = tomllib.loads(EXAMPLE.read_text())
    assert load(write(tmp_path, json.dumps(data))) == load(EXAMPLE)


def test_defaults(tmp_path):
    (case,) = load(write(tmp_path, document({"name": "a", "in_channels": 2, "out_channels": 2,
                                             "input_size": [3, 5], "kernel": [2, 3]})))
    assert case == Case(family="user", name="a", batch=1, in_channels=2, out_channels=2,
                        groups=1, input_size=(3, 5), kernel=(2, 3), stride=(1, 1),
                        dilation=(1, 1), padding=((0, 0), (0, 0)), output_padding=(0, 0),
                        bias=False, dtype="float32", layout="channels_first",
                        seed=_seed("user", "a"))


def test_negative_crops_are_allowed_while_the_window_is_not_empty(tmp_path):
    (case,) = load(write(tmp_path, document({**BASE, "padding": [[-1, -2]]})))
    assert case.padding == ((-1, -2),)
    assert geometry(case.input_size, case.kernel, stride=case.stride,
                    padding=case.padding).output_size == (12,)


def test_the_output_shape_range_ends_where_the_operation_does(tmp_path):
    # L = 9 and max(stride, dilation) = 2: sizes 1 .. 10, nothing beyond
    for size in (1, 10):
        (case,) = load(write(tmp_path, document({**BASE, "padding": {"output_shape": size}})))
        assert case.padding == OutputShape((size,))
    error = failure(write(tmp_path, document({**BASE, "padding": {"output_shape": 11}})))
    assert (error.case, error.field) == ("layer", "padding.output_shape")
    assert "1 to 10" in error.message


# --- the schema ------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema_naming_unknown_fields():
    published = json.loads(SCHEMA_PATH.read_text())
    assert published == schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert published["$id"] and published["title"]
    case = published["$defs"]["case"]
    assert case["additionalProperties"] is False and published["additionalProperties"] is False
    assert all(field.get("description") for field in case["properties"].values())


def test_schema_names_the_dtypes_and_layouts_of_cases_case():
    defs = schema()["$defs"]
    assert tuple(defs["dtype"]["enum"]) == DTYPES
    assert tuple(defs["case"]["properties"]["layout"]["enum"]) == LAYOUTS


# --- bad cases: one line naming the file, the case and the field --------------------------------

BAD_CASES = [
    # (what, changes to BASE, field, words in the message)
    ("unknown field", {"kernal": 3}, "kernal", "unknown field"),
    ("wrong type", {"kernel": "3"}, "kernel", "must be an integer"),
    ("negative stride", {"stride": -1}, "stride", ">= 1, got -1"),
    ("zero stride", {"stride": 0}, "stride", ">= 1, got 0"),
    ("zero stride in a list", {"stride": [0]}, "stride[0]", ">= 1, got 0"),
    ("zero dilation", {"dilation": 0}, "dilation", ">= 1"),
    ("zero input size", {"input_size": [0]}, "input_size[0]", ">= 1"),
    ("zero batch", {"batch": 0}, "batch", ">= 1"),
    ("zero channels", {"in_channels": 0}, "in_channels", ">= 1"),
    ("negative output_padding", {"output_padding": -1}, "output_padding", ">= 0"),
    ("groups not dividing in_channels", {"groups": 3}, "groups", "must divide"),
    ("groups not dividing out_channels", {"groups": 4}, "groups", "must divide"),
    ("impossible output shape", {"padding": {"output_shape": [11]}},
     "padding.output_shape[0]", "out of reach"),
    ("output shape zero", {"padding": {"output_shape": 0}}, "padding.output_shape", ">= 1"),
    ("output shape with output_padding", {"padding": {"output_shape": 9}, "output_padding": 1},
     "output_padding", "must be 0"),
    ("unknown padding table key", {"padding": {"outputshape": 9}}, "padding.outputshape",
     "unknown field"),
    ("bool where an int belongs", {"batch": True}, "batch", "true (a boolean)"),
    ("bool inside a list", {"kernel": [False]}, "kernel[0]", "false (a boolean)"),
    ("float where an int belongs", {"kernel": 3.0}, "kernel", "3.0 (a float)"),
    ("float inside a list", {"input_size": [4.0]}, "input_size[0]", "(a float)"),
    ("huge integer", {"in_channels": 10**30}, "in_channels", "<= 2147483647"),
    ("per-axis list of the wrong length", {"kernel": [3, 3]}, "kernel", "has 2 entries"),
    ("padding list of the wrong length", {"padding": [1, 1]}, "padding", "has 2 entries"),
    ("output shape of the wrong length", {"padding": {"output_shape": [9, 9]}},
     "padding.output_shape", "has 2 entries"),
    ("more than 3 dims", {"input_size": [1, 1, 1, 1]}, "input_size", "at most 3"),
    ("no spatial dims", {"input_size": []}, "input_size", "at least 1 entry"),
    ("a pair of three", {"padding": [[1, 1, 1]]}, "padding[0]", "2 entries, got 3"),
    ("a crop that empties the output", {"padding": [[5, 5]]}, "padding[0]", "leaves no output"),
    ("a crop that leaves exactly nothing", {"padding": [[4, 5]]}, "padding[0]", "= 0 "),
    ("an int crop that empties the output", {"padding": 5}, "padding", "leaves no output"),
    ("lowercase same", {"padding": "same"}, "padding", '"SAME"'),
    ("unknown dtype", {"dtype": "float8"}, "dtype", "float32"),
    ("unknown dtype in a list", {"dtype": ["float32", "int8"]}, "dtype[1]", "must be one of"),
    ("a dtype twice", {"dtype": ["float32", "float32"]}, "dtype", "twice"),
    ("unknown layout", {"layout": "NHWC"}, "layout", "channels_last"),
    ("bias not a bool", {"bias": 1}, "bias", "true or false"),
    ("missing kernel", {"kernel": None}, "kernel", "missing (required)"),
]


@pytest.mark.parametrize("changes, field, words",
                         [case[1:] for case in BAD_CASES], ids=[case[0] for case in BAD_CASES])
def test_bad_case_names_file_case_and_field(tmp_path, changes, field, words):
    spec = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    for suffix in (".json", ".toml"):
        path = write(tmp_path, document({**BASE, "name": "fine"}, spec) if suffix == ".json"
                     else toml_document({"cases": [{**BASE, "name": "fine"}, spec]}), suffix)
        error = failure(path)
        assert str(error).startswith(f"{path}: case 'layer': {field}: "), str(error)
        assert (error.case, error.field) == ("layer", field)
        assert words in error.message, str(error)


def test_toml_dates_are_not_sizes(tmp_path):
    text = toml_document({"cases": [BASE]}).replace('"kernel" = 3', '"kernel" = 1979-05-27')
    assert "1979-05-27" in text
    error = failure(write(tmp_path, text, ".toml"))
    assert (error.case, error.field) == ("layer", "kernel")
    assert error.message.endswith("got a date")


def test_schema_address_may_be_given(tmp_path):
    text = json.dumps({"$schema": schema()["$id"], "cases": [BASE]})
    assert [c.id for c in load(write(tmp_path, text))] == ["user/layer/float32"]


def test_duplicate_name_names_the_second_case(tmp_path):
    error = failure(write(tmp_path, document(BASE, {**BASE, "kernel": 2})))
    assert str(error).startswith(f"{error.file}: case 'layer': name: duplicate")
    assert "#1" in error.message


def test_case_without_a_usable_name_is_counted_from_one(tmp_path):
    error = failure(write(tmp_path, document(BASE, {**BASE, "name": "a/b"})))
    assert (error.case, error.field) == ("#2", "name")
    error = failure(write(tmp_path, document(BASE, 7)))
    assert str(error) == f"{error.file}: case '#2': must be a table, got 7"


def test_names_with_line_breaks_stay_on_one_line(tmp_path):
    error = failure(write(tmp_path, document({**BASE, "name": "a\nb\u2028c", "kernal": 1})))
    assert error.case == "#1"
    path = write(tmp_path, document({**BASE, "bad\nkey": 1}), stem="odd\nname")
    with pytest.raises(CaseFileError) as caught:
        load(path)
    assert str(caught.value) == (f"{tmp_path}/odd\\nname.json: case 'layer': bad\\nkey: "
                                 f"{caught.value.message}")


# --- bad files ---------------------------------------------------------------------------------

BAD_FILES = [
    # (what, suffix, content, the message after "<file>: ")
    ("not TOML", ".toml", "[[cases]]\nname = \n", "not TOML: Invalid value (at line 2, column 8)"),
    ("not JSON", ".json", '{"cases": [}', "not JSON: Expecting value (at line 1, column 12)"),
    ("invalid UTF-8", ".toml", b"name = \"\xff\"", "not UTF-8: byte 8 (0xff): invalid start byte"),
    ("invalid UTF-8 in JSON", ".json", b"\xef\xbb\xbf{\xc3", "not UTF-8: byte 4 (0xc3): "
                                                          "unexpected end of data"),
    ("not a table", ".json", "[1, 2]", "must be a table (JSON: an object) holding a list "
                                       "'cases', got a list"),
    ("no cases", ".json", "{}", "cases: missing (required)"),
    ("empty cases", ".toml", "cases = []", "cases: needs at least 1 entry, got none"),
    ("cases not a list", ".toml", "cases = 3", "cases: must be a list, got 3"),
    ("unknown top-level key", ".toml", "case = []", "case: unknown field (known: $schema, "
                                                     "cases)"),
    ("duplicate JSON key", ".json", '{"cases": [], "cases": []}',
     'not JSON we accept: key "cases" appears twice in an object'),
    ("NaN in JSON", ".json", '{"cases": NaN}', "not JSON: NaN is not a JSON value"),
    ("deeply nested JSON", ".json", "[" * 100_000, "not JSON we accept: nested too deeply"),
    ("deeply nested TOML", ".toml", "a = " + "[" * 100_000, "not TOML we accept: nested too "
                                                             "deeply"),
    ("a 5000-digit integer in JSON", ".json", '{"cases": ' + "9" * 5000 + "}", "not JSON: "),
    ("a 5000-digit integer in TOML", ".toml", "cases = " + "9" * 5000, "not TOML: "),
    ("unknown suffix", ".yaml", "cases: []", 'unknown suffix ".yaml": a case file is .toml or '
                                             ".json"),
]


@pytest.mark.parametrize("suffix, content, message", [f[1:] for f in BAD_FILES],
                         ids=[f[0] for f in BAD_FILES])
def test_bad_file_is_one_line_naming_the_file(tmp_path, suffix, content, message):
    path = write(tmp_path, content, suffix)
    error = failure(path)
    assert error.case is None
    assert str(error).startswith(f"{path}: {message}"), str(error)


def test_missing_file_and_directory(tmp_path):
    for path in (tmp_path / "absent.toml", tmp_path):
        with pytest.raises(CaseFileError, match="cannot read"):
            load(path)


# --- no other exception, for any content ---------------------------------------------------------


def toml_value(value: object) -> str:
    """A JSON-like value as a TOML inline value (null: an empty table, TOML has none)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string (but for surrogates)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if value is None:
        return "{}"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(value: object) -> str:
    table = value if isinstance(value, dict) else {"cases": value}
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in table.items())


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=12))
JSON_LIKE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                         max_leaves=24)
# Values near what a field takes, so that the semantic rules and the anyOf paths are exercised.
SMALL = st.integers(-3, 70)
NEAR = (SMALL | st.booleans() | st.floats(-3, 70) | st.none()
        | st.sampled_from(["SAME", "VALID", "same", "", "float32", "bfloat16", "channels_last",
                           "x/y", "float32 "])
        | st.lists(SMALL, max_size=4)
        | st.lists(st.lists(SMALL, max_size=3) | SMALL, max_size=4)
        | st.lists(st.sampled_from(DTYPES), max_size=3)
        | st.fixed_dictionaries({"output_shape": SMALL | st.lists(SMALL, max_size=4)}))
FIELDS = ["name", "batch", "in_channels", "out_channels", "groups", "input_size", "kernel",
          "stride", "dilation", "padding", "output_padding", "bias", "dtype", "layout",
          "source", "kernal"]
NEAR_CASE = st.builds(
    lambda changes, drop: {k: v for k, v in {**BASE, **changes}.items() if k != drop},
    st.dictionaries(st.sampled_from(FIELDS), NEAR, max_size=5),
    st.sampled_from([None, *FIELDS]),
)
NEAR_DOCUMENT = st.lists(NEAR_CASE, min_size=1, max_size=3).map(lambda cs: {"cases": cs})


def content(draw_value: object, form: str) -> tuple[str, bytes]:
    if form == "bytes":
        return ".toml" if len(draw_value) % 2 else ".json", draw_value
    suffix = ".json" if form == "json" else ".toml"
    text = json.dumps(draw_value) if form == "json" else toml_document(draw_value)
    return suffix, text.encode("utf-8", "surrogatepass")


def assert_only_case_file_errors(path: Path) -> None:
    try:
        cases = load(path)
    except CaseFileError as error:
        message = str(error)
        assert len(message.splitlines()) == 1 and message.startswith(f"{path}: "), message
        return
    # What loads is computable: the oracle accepts every explicit window, non-empty, and every
    # output shape lies in the range the operation reaches.
    for case in cases:
        assert case.in_channels % case.groups == 0 and case.out_channels % case.groups == 0
        if isinstance(case.padding, tuple):
            g = geometry(case.input_size, case.kernel, stride=case.stride,
                         dilation=case.dilation, padding=case.padding,
                         output_padding=case.output_padding)
            assert min(g.output_size) >= 1
        if isinstance(case.padding, OutputShape):
            for size, n, k, s, d in zip(case.padding.size, case.input_size, case.kernel,
                                        case.stride, case.dilation):
                assert 1 <= size <= (n - 1) * s + d * (k - 1) + max(s, d)


@settings(max_examples=examples(1000), suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=400).map(lambda b: content(b, "bytes")),
    st.text(max_size=200).map(lambda t: content(t.encode("utf-8", "surrogatepass"), "bytes")),
    JSON_LIKE.map(lambda v: content(v, "json")),
    JSON_LIKE.map(lambda v: content(v, "toml")),
    st.dictionaries(st.sampled_from(["cases", "$schema", "x"]), JSON_LIKE, max_size=2)
    .map(lambda v: content(v, "toml")),
))
def test_arbitrary_content_raises_only_case_file_errors(tmp_path_factory, suffix_and_data):
    suffix, data = suffix_and_data
    path = write(tmp_path_factory.getbasetemp(), data, suffix, stem="fuzz")
    assert_only_case_file_errors(path)


@settings(max_examples=examples(500), suppress_health_check=[HealthCheck.too_slow])
@given(NEAR_DOCUMENT, st.sampled_from(["json", "toml"]))
def test_near_valid_cases_raise_only_case_file_errors(tmp_path_factory, value, form):
    suffix, data = content(value, form)
    path = write(tmp_path_factory.getbasetemp(), data, suffix, stem="near")
    assert_only_case_file_errors(path)


def test_near_valid_strategy_reaches_both_outcomes(tmp_path):
    """The property above is only worth something if it sees loads and refusals alike."""
    outcomes = set()

    @settings(max_examples=200, derandomize=True, database=None)
    @given(NEAR_DOCUMENT)
    def probe(value):
        try:
            load(write(tmp_path, json.dumps(value)))
            outcomes.add("loaded")
        except CaseFileError as error:
            semantic = ("but input_size has", "must divide", "out of reach", "no output",
                        "duplicate")
            outcomes.add("semantic" if any(w in error.message for w in semantic) else "schema")

    probe()
    assert outcomes == {"loaded", "semantic", "schema"}
