"""The registry's predicate language (``conformance/predicate.py``); Python's own eval is used
here only as the reference to compare with."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tconv.conformance import predicate as predicate_module
from tconv.conformance.predicate import FUNCTIONS, MAX_DEPTH, Predicate, PredicateError, parse

FIELDS = frozenset({
    "dims", "batch", "in_channels", "out_channels", "groups", "input_size", "kernel", "stride",
    "dilation", "mode", "pads", "output_shape", "output_padding", "bias", "dtype", "layout",
    "family",
})

REAL = [
    "any(((k - 1) * d + 1) % 2 == 0 and (mode == 'SAME' and any(output_padding) and a == 0 or "
    "mode == 'explicit' and b + e - a == (k - 1) * d + 1) for k, d, a, (b, e) in "
    "zip(kernel, dilation, output_padding, pads or [(0, 0)] * dims))",
    "dims >= 2 and any(k > n for k, n in zip(kernel, input_size)) and any(s > 1 for s in stride)",
    "groups > 1 and bias",
    "any(a >= s for a, s in zip(output_padding, stride))",
    "mode == 'SAME' and any((k - 1) * d + 1 < s for k, d, s in zip(kernel, dilation, stride))",
    "mode == 'SAME' and any((k - 1) * d + 3 <= s for k, d, s in zip(kernel, dilation, stride))",
    "any(a >= s for a, s in zip(output_padding, stride)) or mode == 'output_shape'",
    "groups > 1 and (in_channels > groups or out_channels > groups)",
    "any(d > 1 for d in dilation)",
    "dtype in ('float64', 'float16') or mode in ('explicit', 'output_shape') or "
    "any(d > 1 for d in dilation)",
]

OWN = [  # between them: every construct of the language
    "kernel[0] == kernel[-1] and stride[1:] == stride[:-1]",
    "(kernel[0] if dims == 1 else max(kernel)) >= min(stride) + len(family) % 3",
    "sum(k * d for k, d in zip(kernel, dilation)) % 3 == len(range(1, dims))",
    "1 <= groups < in_channels <= 6 != out_channels",
    "len([(i, j) for i in range(dims) for j in range(i) if kernel[i] > kernel[j]]) > 0",
    "not -batch < +0 or batch / 2 >= 1.5 and batch // 2 == batch % 2",
    "pads[0][1] - pads[0][0] > 0 if pads else output_shape == ()",
    "any(n == b for n, (b, e) in zip(input_size, pads)) or all(e > b for (b, e) in pads)",
    "(pads or [(0, 0)] * dims)[-1] == (0, 0)",
    "dtype[:5] == 'float' and dtype[-2:] in ['16', '64'] and layout != 'channels_last'",
    "max([s * 2 for s in stride] + [0]) > sum(dilation, 1) - dims",
    "(None if bias else 1.5) == 1.5 and 'vc' in family * 2",
    "[x for x in range(10)][dims::3] == [1, 4, 7] or output_padding[::-1][:1] == (0,)",
    "(0 or batch - 1) and (1 and batch > 2)",
    "min(kernel) - max(stride) * 2 // 3 < -1.5 + 0.5 * dims",
    "sum(output_shape) not in range(4, 24, 2) and output_shape[:2] != (1, 1)",
]

MODES = ("explicit", "SAME", "VALID", "output_shape")
DTYPES = ("float16", "bfloat16", "float32", "float64")


def random_case(rng: random.Random) -> dict[str, Any]:
    dims = rng.randint(1, 3)

    def sizes(*choices: int) -> tuple[int, ...]:
        return tuple(rng.choice(choices) for _ in range(dims))

    return {
        "dims": dims, "batch": rng.randint(1, 4), "in_channels": rng.randint(1, 8),
        "out_channels": rng.randint(1, 8), "groups": rng.choice((1, 1, 2, 3, 4)),
        "input_size": sizes(1, 2, 3, 4, 5, 6, 7, 8), "kernel": sizes(1, 2, 3, 4, 5),
        "stride": sizes(1, 1, 2, 3, 4, 5), "dilation": sizes(1, 1, 1, 1, 2, 3, 4, 5),
        "mode": rng.choice(MODES),
        "pads": tuple((rng.randint(0, 5), rng.randint(0, 5)) for _ in range(dims))
        if rng.random() < 0.7 else (),
        "output_shape": sizes(1, 2, 4, 8, 16) if rng.random() < 0.5 else (),
        "output_padding": sizes(0, 0, 0, 1, 2, 3, 4), "bias": rng.random() < 0.5,
        "dtype": rng.choice(DTYPES), "layout": rng.choice(("channels_first", "channels_last")),
        "family": rng.choice(("conv", "conv_transpose", "depthwise", "")),
    }


CASES = [random_case(random.Random(seed)) for seed in range(400)]


def reference(text: str, case: dict[str, Any]) -> bool:
    """Python's own answer; the case is global so that comprehensions see it, as in a module."""
    return bool(eval(text, {"__builtins__": dict(FUNCTIONS), **case}))


@pytest.mark.parametrize("text", REAL + OWN)
def test_agrees_with_python(text: str) -> None:
    predicate = parse(text, FIELDS)
    answers = [predicate.evaluate(case) for case in CASES]
    assert answers == [reference(text, case) for case in CASES]
    assert set(answers) == {True, False}, "the cases should exercise both outcomes"


@pytest.mark.parametrize("text", [
    "kernel[2] > 1", "batch // (groups - 1) > 0", "max(k for k in kernel if k > 4) > 0",
    "any(a > b for a, b in zip(kernel, pads))",
])
def test_fails_where_python_fails(text: str) -> None:
    predicate, outcomes = parse(text, FIELDS), set()
    for case in CASES:
        try:
            expected = reference(text, case)
        except Exception as exc:  # noqa: BLE001 - whatever Python raises, we must refuse
            with pytest.raises(PredicateError, match="evaluation failed") as info:
                predicate.evaluate(case)
            assert isinstance(info.value.__cause__, type(exc))
            outcomes.add("error")
        else:
            assert predicate.evaluate(case) == expected
            outcomes.add(expected)
    assert "error" in outcomes and len(outcomes) >= 2


def test_and_or_return_the_deciding_operand() -> None:
    empty, padded = CASES[0] | {"pads": (), "dims": 2}, CASES[0] | {"pads": ((1, 1),)}
    predicate = parse("(pads or [(0, 0)] * dims) == [(0, 0)] * dims", FIELDS)
    assert predicate.evaluate(empty) and not predicate.evaluate(padded)
    text = "(0 or 'x') == 'x' and (1 and []) == [] and ([] and 1 // 0) == []"
    assert parse(text, set()).evaluate({})
    assert type(parse("pads or [(0, 0)] * dims", FIELDS).evaluate(empty)) is bool


def test_generators_are_lazy_and_list_comprehensions_eager() -> None:
    assert parse("any(1 // x for x in [1, 0])", set()).evaluate({})
    with pytest.raises(PredicateError, match="ZeroDivisionError"):
        parse("any([1 // x for x in [1, 0]])", set()).evaluate({})


def test_comprehension_names_are_local() -> None:
    predicate = parse("[kernel for kernel in range(2)] == [0, 1] and kernel == (3,)", FIELDS)
    assert predicate.evaluate(CASES[0] | {"kernel": (3,)})
    assert not predicate.evaluate(CASES[0] | {"kernel": (4,)})


FORBIDDEN = [
    ("__import__('os').system('x')", "attribute access is not allowed"),
    ("open('f')", "calls only any, all, zip, len, min, max, sum, range; got 'open'"),
    ("kernel.count(1)", "attribute access is not allowed"),
    ("(lambda: 1)()", "lambda is not allowed"),
    ("[x for x in ().__class__.__bases__]", "attribute access is not allowed"),
    ("max(kernel, key=len)", "keyword arguments are not allowed"),
    ("2 ** 1000000", "operator '\\*\\*' is not allowed"),
    ("f'{kernel}'", "f-string is not allowed"),
    ("{1: 2}", "dict display is not allowed"),
    ("{1, 2}", "set display is not allowed"),
    ("(y := 1)", "walrus"),
    ("kernal > 1", "name 'kernal' is not a case field; fields: batch, bias, dilation, dims,"),
    ("any(k > 1 for k in kernel) and k > 2", "name 'k' is not a case field"),
    ("[j for i in range(j) for j in kernel]", "name 'j' is not a case field"),
    ("kernel >", "syntax error"),
    ("1 + " * 600 + "1", "characters long; at most 2000 allowed"),
    ("(" * 300 + ")" * 300, "syntax error"),
    ("-" * (MAX_DEPTH + 1) + "1", "nested more than"),
    ("len(*kernel)", "starred expression is not allowed"),
    ("kernel is None", "operator 'is' is not allowed"),
    ("kernel[0:1, 2]", "one int index or one slice"),
    ("1j == 1", "constant 1j is not allowed"),
    ("kernel[0](1)", "calls only .*; got 'kernel\\[0\\]'"),
    ("any(x for kernel.x in stride)", "not a name or tuple"),
    ("any(len > 1 for len in kernel)", "shadows a function"),
    ("[k async for k in kernel]", "async"),
]


@pytest.mark.parametrize(("text", "message"), FORBIDDEN)
def test_forbidden_is_refused_at_parse(text: str, message: str) -> None:
    with pytest.raises(PredicateError, match=message) as info:
        parse(text, FIELDS)
    assert "\n" not in str(info.value)


# Two equal, distinct, deeply shared structures: comparing them would take 100 ** 4 steps.
SHARED = ("for {} in [[0] * 100] for {} in [[{} for _ in range(100)]]"
          " for {} in [[{} for _ in range(100)]]")
ABUSE = [
    ("len(range(100000000)) > 0", "more than 10000 items"),
    ("len(range(10000000000000000000000000000)) > 0", "more than 10000 items"),
    ("len([0] * 100000000) > 0", "more than 10000 items"),
    ("len(100000000 * 'ab') > 0", "more than 10000 items"),
    ("any(len(h) > 0 for a in [[0] * 100]" + "".join(
        f" for {y} in [{x} + {x}]" for x, y in zip("abcdefg", "bcdefgh", strict=True)) + ")",
     "more than 10000 items"),
    ("any(c > 0 for a in [99999999999]" + "".join(
        f" for {y} in [{x} * {x}]" for x, y in zip("abcdefghij", "bcdefghijk", strict=True))
     + ")", "bits"),
    ("sum(1 for a in range(10000) for b in range(10000)) > 0", "steps"),
    ("len([[0] * 10000] * 10000) > 0", "steps"),
    ("sum([[0] * 100 for _ in range(3000)], []) == []", "steps"),
    (f"any(c == g {SHARED.format(*'abacb')} {SHARED.format(*'efegf')})", "steps"),
    ("'%999999999d' % 1 == ''", "string formatting"),
]


@pytest.mark.parametrize(("text", "message"), ABUSE)
def test_abuse_is_refused_at_evaluation(text: str, message: str) -> None:
    predicate = parse(text, FIELDS)
    start = time.monotonic()
    with pytest.raises(PredicateError, match=message):
        predicate.evaluate(CASES[0])
    assert time.monotonic() - start < 5


def test_caps_leave_room_up_to_the_limit() -> None:
    text = "len(range(10000)) == len([0] * 10000) == len('a' * 5000 + 'b' * 5000) == 10000"
    assert parse(text, set()).evaluate({})


def test_deepest_accepted_rule_evaluates_without_recursion_error() -> None:
    text, nested = "1", []
    while True:
        deeper = f"any({text} for _ in [0])"
        try:
            parse(deeper, set())
        except PredicateError:
            break
        text = deeper
        nested.append(text)
    assert len(nested) > 10
    assert parse(text, set()).evaluate({})
    assert parse("-" * MAX_DEPTH + "1", set()).evaluate({})  # an even count: 1


def test_evaluation_errors_are_one_line_predicate_errors() -> None:
    with pytest.raises(PredicateError, match="no value for field 'kernel'"):
        parse("kernel == ()", FIELDS).evaluate({})
    with pytest.raises(PredicateError, match="cannot unpack 1 values into 2 names") as info:
        parse("any(a for a, b in [(1,)])", set()).evaluate({})
    assert "\n" not in str(info.value) and isinstance(info.value, ValueError)
    with pytest.raises(PredicateError, match="index must be an int; got str"):
        parse("kernel['a']", FIELDS).evaluate(CASES[0])


def test_parse_is_cached_and_predicates_frozen() -> None:
    text = "groups > 1 and bias"
    predicate = parse(text, set(FIELDS))
    assert parse(text, FIELDS) is predicate
    assert predicate == Predicate(text, ast.parse("0", mode="eval"))  # equal by text alone
    with pytest.raises(dataclasses.FrozenInstanceError):
        predicate.text = "True"  # type: ignore[misc]


def test_never_compiles_code_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    real_compile = builtins.compile

    def ast_only(source: Any, filename: Any, mode: str, flags: int = 0, *args: Any,
                 **kwargs: Any) -> Any:
        assert flags & ast.PyCF_ONLY_AST, "something compiled a code object"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def forbidden(*args: Any) -> None:
        raise AssertionError("eval or exec was called")

    monkeypatch.setattr(builtins, "compile", ast_only)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    predicate = parse("any(k > 1 for k in kernel) and family != 'never cached before'", FIELDS)
    assert predicate.evaluate(CASES[0] | {"kernel": (1, 2)})
    assert not predicate.evaluate(CASES[0] | {"kernel": (1, 1)})


def test_source_calls_no_eval_exec_or_compile() -> None:
    tree = ast.parse(Path(predicate_module.__file__).read_text())
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert called and not called & {"eval", "exec", "compile", "__import__"}
