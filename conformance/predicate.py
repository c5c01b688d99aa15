"""A small, safe predicate language for rules in the registry of known discrepancies.

A predicate is one Python expression with Python's semantics, restricted to: constants (int,
float, str, bool, None); tuple and list displays; case-field names; comparisons ``== != < <= > >=
in not in`` (chained too); ``and or not``; unary ``- +``; binary ``+ - * // % /``; subscripts and
slices; ``a if c else b``; generator expressions and list comprehensions; and calls, by plain
name with positional arguments, to any, all, zip, len, min, max, sum and range.

Rules may come from a file outside the project, so they are never given to ``eval``, ``exec`` or
``compile``: ``parse`` reads the text with ``ast`` and checks the whole tree up front, and
``Predicate.evaluate`` walks the tree itself.  Text length, nesting depth, sequence and range
lengths, int size and total work are capped, so a bad rule can neither hang nor exhaust memory;
every refusal, at parse or evaluation, is a one-line ``PredicateError``.
"""

from __future__ import annotations

import ast
import functools
import itertools
import operator as op
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 2_000  # characters in a rule
MAX_DEPTH = 100  # tree nesting; keeps both recursive walks far below Python's recursion limit
MAX_ITEMS = 10_000  # longest range(), list, tuple or str a rule may build
MAX_INT_BITS = 4_096  # largest int product; repeated squaring would otherwise explode
MAX_STEPS = 1_000_000  # work per evaluation: one per node plus every item of every value seen

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "any": any, "all": all, "zip": zip, "len": len,
    "min": min, "max": max, "sum": sum, "range": range,
}
_BINARY = {ast.Add: op.add, ast.Sub: op.sub, ast.Mult: op.mul,
           ast.FloorDiv: op.floordiv, ast.Mod: op.mod, ast.Div: op.truediv}
_COMPARE = {ast.Eq: op.eq, ast.NotEq: op.ne, ast.Lt: op.lt, ast.LtE: op.le, ast.Gt: op.gt,
            ast.GtE: op.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
_UNARY = {ast.Not: op.not_, ast.USub: op.neg, ast.UAdd: op.pos}
_ALLOWED = frozenset({
    ast.Constant, ast.Name, ast.Load, ast.Tuple, ast.List, ast.BoolOp, ast.And, ast.Or,
    ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice, ast.Call,
    ast.GeneratorExp, ast.ListComp, *_BINARY, *_COMPARE, *_UNARY})
_REFUSED = {ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.JoinedStr: "f-string",
            ast.Dict: "dict display", ast.Set: "set display", ast.NamedExpr: "walrus (:=)",
            ast.Starred: "starred expression", ast.Pow: "operator '**'", ast.Is: "operator 'is'",
            ast.IsNot: "operator 'is not'", ast.Invert: "operator '~'", ast.BitOr: "operator '|'"}
_CONSTANTS = (int, float, str, bool, type(None))
_SIZED = (list, tuple, str, range)


class PredicateError(ValueError):
    """A rule outside the language, or one that broke a limit or failed while evaluated."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.splitlines()))  # callers report it as one line


def parse(text: str, names: frozenset[str] | set[str]) -> Predicate:
    """Parses and validates ``text``; its free names must all be in ``names``."""
    return _parse(text, frozenset(names))


@functools.cache
def _parse(text: str, names: frozenset[str]) -> Predicate:
    if len(text) > MAX_TEXT:
        raise PredicateError(f"rule is {len(text)} characters long; at most {MAX_TEXT} allowed")
    try:
        tree = ast.parse(text.strip(), mode="eval")  # builds a tree only; nothing is compiled
    except SyntaxError as exc:
        raise PredicateError(f"syntax error: {exc.msg}") from None
    except (ValueError, MemoryError, RecursionError) as exc:  # parser stack overflow and kin
        raise PredicateError(f"syntax error: {type(exc).__name__}: {exc}") from None
    _check(tree.body, names, frozenset(), 0)
    return Predicate(text, tree)


def _check(node: ast.AST, fields: frozenset[str], bound: frozenset[str], depth: int) -> None:
    """Refuses anything outside the language; ``bound`` holds enclosing comprehension names."""
    if depth > MAX_DEPTH and isinstance(node, ast.expr):  # operators and contexts are leaves
        raise PredicateError(f"rule is nested more than {MAX_DEPTH} levels deep")
    if type(node) not in _ALLOWED:
        raise PredicateError(f"{_REFUSED.get(type(node), type(node).__name__)} is not allowed")
    children = list(ast.iter_child_nodes(node))
    match node:
        case ast.Constant(value=value) if type(value) not in _CONSTANTS:
            raise PredicateError(f"constant {value!r} is not allowed")
        case ast.Name(id=name) if name not in fields and name not in bound:
            raise PredicateError(
                f"name {name!r} is not a case field; fields: {', '.join(sorted(fields))}")
        case ast.Tuple(elts=items) if any(isinstance(item, ast.Slice) for item in items):
            raise PredicateError("a subscript takes one int index or one slice")
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords) if name in FUNCTIONS:
            if keywords:
                raise PredicateError("keyword arguments are not allowed")
            children = args  # the function's name is not a field
        case ast.Call(func=func):
            if not isinstance(func, ast.Name):
                _check(func, fields, bound, depth + 1)  # reports an attribute or lambda as such
            raise PredicateError(f"calls only {', '.join(FUNCTIONS)}; got {ast.unparse(func)!r}")
        case ast.GeneratorExp(elt=elt, generators=loops) | ast.ListComp(elt=elt, generators=loops):
            for loop in loops:
                if loop.is_async:
                    raise PredicateError("async comprehensions are not allowed")
                _check(loop.iter, fields, bound, depth + 1)  # the first sees only outer names
                bound |= _targets(loop.target)
                for condition in loop.ifs:
                    _check(condition, fields, bound, depth + 1)
            children, depth = [elt], depth + len(loops)  # each loop costs a frame when run
    for child in children:
        _check(child, fields, bound, depth + 1)


def _targets(target: ast.expr) -> frozenset[str]:
    """Names bound by a comprehension target: a name or a (nested) tuple of names."""
    if isinstance(target, ast.Name):
        if target.id in FUNCTIONS:  # calls always reach the built-in, so shadowing would mislead
            raise PredicateError(f"comprehension variable {target.id!r} shadows a function")
        return frozenset([target.id])
    if isinstance(target, ast.Tuple):
        return frozenset().union(*map(_targets, target.elts))
    raise PredicateError(f"comprehension target {ast.unparse(target)!r} is not a name or tuple")


@dataclass(frozen=True)
class Predicate:
    """A validated rule; build it with ``parse``."""

    text: str
    tree: ast.Expression = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        """Returns ``bool`` of the rule's value, given one case's field ``values``."""
        try:
            return bool(_Run().eval(self.tree.body, dict(values)))
        except PredicateError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise PredicateError(f"evaluation failed: {type(exc).__name__}: {exc}") from exc


class _Run:
    """One evaluation, counting its work so that loops and big values stop early."""

    def __init__(self) -> None:
        self.steps = 0

    def spend(self, value: Any) -> Any:
        """Charges a step per item reachable from ``value``, shared items each time they occur,
        so that no comparison or call on it can cost more than has been paid for."""
        stack = [value]
        while stack:
            item = stack.pop()
            self.steps += 1 + (len(item) if isinstance(item, str | range) else 0)
            if self.steps > MAX_STEPS:
                raise PredicateError(f"evaluation takes more than {MAX_STEPS} steps")
            if isinstance(item, list | tuple):
                stack.extend(item)
        return value

    def eval(self, node: ast.expr, env: dict[str, Any]) -> Any:
        return self.spend(self._eval(node, env))

    def _eval(self, node: ast.expr, env: dict[str, Any]) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                if name not in env:
                    raise PredicateError(f"no value for field {name!r}")
                return env[name]
            case ast.Tuple(elts=items):
                return tuple(self.eval(item, env) for item in items)
            case ast.List(elts=items):
                return [self.eval(item, env) for item in items]
            case ast.BoolOp(op=operator, values=operands):
                for operand in operands:  # Python's value semantics: the deciding operand
                    result = self.eval(operand, env)
                    if bool(result) == isinstance(operator, ast.Or):
                        break
                return result
            case ast.UnaryOp(op=operator, operand=operand):
                return _UNARY[type(operator)](self.eval(operand, env))
            case ast.BinOp(left=left, op=operator, right=right):
                a, b = self.eval(left, env), self.eval(right, env)
                _refuse_large(operator, a, b)
                return _BINARY[type(operator)](a, b)
            case ast.Compare(left=left, ops=operators, comparators=rights):
                a = self.eval(left, env)
                for operator, right in zip(operators, rights, strict=True):
                    b = self.eval(right, env)
                    if not (result := _COMPARE[type(operator)](a, b)):
                        break
                    a = b
                return result
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.eval(body if self.eval(test, env) else orelse, env)
            case ast.Slice(lower=lower, upper=upper, step=step):
                parts = (None if p is None else self.eval(p, env) for p in (lower, upper, step))
                return slice(*parts)
            case ast.Subscript(value=value, slice=index):
                container, key = self.eval(value, env), self.eval(index, env)
                if not isinstance(key, int | slice):
                    raise PredicateError(f"index must be an int; got {type(key).__name__}")
                return container[key]
            case ast.Call(func=ast.Name(id=name), args=args):
                function = self._sum if name == "sum" else FUNCTIONS[name]
                result = function(*(self.eval(arg, env) for arg in args))
                if isinstance(result, range):  # sliced first, as len() overflows on huge ones
                    _refuse_items(len(result[: MAX_ITEMS + 1]))
                return result
            case ast.GeneratorExp(generators=loops):  # the first iterable is taken eagerly
                return self._loops(node, 0, iter(self.eval(loops[0].iter, env)), env)
            case ast.ListComp(generators=loops):
                return list(self._loops(node, 0, self.eval(loops[0].iter, env), env))
        raise AssertionError(f"parse() let {type(node).__name__} through")

    def _loops(self, node: ast.GeneratorExp | ast.ListComp, i: int, items: Iterable[Any],
               env: dict[str, Any]) -> Iterator[Any]:
        """Loop ``i`` of a comprehension and those inside it, lazily, as Python's own are."""
        loop, last = node.generators[i], i + 1 == len(node.generators)
        for item in items:
            inner = dict(env)
            _bind(loop.target, item, inner)
            if all(self.eval(condition, inner) for condition in loop.ifs):
                if last:
                    yield self.eval(node.elt, inner)
                else:
                    inner_items = self.eval(node.generators[i + 1].iter, inner)
                    yield from self._loops(node, i + 1, inner_items, inner)

    def _sum(self, items: Iterable[Any], start: Any = 0) -> Any:
        if not isinstance(start, list | tuple):
            return sum(items, start)  # numbers: exactly the built-in
        for item in items:  # sequences: capped and paid for, so sum(lists, []) stays cheap
            _refuse_large(ast.Add(), start, item)
            start = self.spend(start + item)
        return start


def _bind(target: ast.expr, value: Any, env: dict[str, Any]) -> None:
    if isinstance(target, ast.Name):
        env[target.id] = value
        return
    assert isinstance(target, ast.Tuple)
    wanted = len(target.elts)
    items = list(itertools.islice(value, wanted + 1))  # never drains a long iterable
    if len(items) != wanted:
        got = "more" if len(items) > wanted else str(len(items))
        raise ValueError(f"cannot unpack {got} values into {wanted} names")
    for name, item in zip(target.elts, items, strict=True):
        _bind(name, item, env)


def _refuse_large(operator: ast.operator, a: Any, b: Any) -> None:
    """Refuses, before it is built, a sequence or int too large to build cheaply."""
    if isinstance(operator, ast.Mod) and isinstance(a, str):
        raise PredicateError("string formatting with % is not allowed")  # '%999999999d' % 1
    if isinstance(operator, ast.Mult):
        if isinstance(b, _SIZED):
            a, b = b, a
        if isinstance(a, _SIZED) and isinstance(b, int):
            _refuse_items(len(a) * b)
        elif isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise PredicateError(f"int product would exceed {MAX_INT_BITS} bits")
    elif isinstance(operator, ast.Add) and isinstance(a, _SIZED) and isinstance(b, _SIZED):
        _refuse_items(len(a) + len(b))


def _refuse_items(count: int) -> None:
    if count > MAX_ITEMS:
        raise PredicateError(f"result would have more than {MAX_ITEMS} items")
