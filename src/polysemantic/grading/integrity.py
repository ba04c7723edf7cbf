"""The integrity report: answers copied from another student, or from the course's reference.

Per question, every attempted answer is normalised: the function the grader called
(what the answer's name is bound to last, after its decorators: a decorator of the
notebook's that returns another function yields that function; a class yields its
methods), with the helper functions it calls, is parsed, and then
- docstrings, comments, annotations and formatting are dropped;
- helpers are inlined: a helper whose body is one `return` wherever it is called, a
  longer one where its result is assigned or returned (so splitting an answer into
  helpers, or merging them, changes nothing);
- dead code goes: statements after a return, raise, break or continue; `if False:`
  blocks; assignments to a name that is never read; bare constants; `x = y` copies;
- independent statements are put in one canonical order (a statement moves past
  another only when neither reads or writes a name the other writes);
- names are renamed in order of appearance, scoped per function (arguments and
  locals; helpers by their order in the call graph), and module aliases written out
  (`np` -> `numpy`).
Two answers are the same up to these changes when their normalised forms are equal;
how alike two answers are otherwise is the Jaccard similarity of their winnowed
fingerprints (k-grams of the normalised tokens, the smallest hash of every window
kept, as in MOSS: Schleimer, Wilkerson and Aiken, "Winnowing", SIGMOD 2003). What
the normalising does not undo (a loop written as a comprehension, another algorithm,
statements reordered across control flow) still shows in the similarity score.

Short answers are not compared at all. The obvious one-liner is the same for everyone
who writes it, so an answer counts only from MIN_NODES syntax-tree nodes of normalised
body (about three lines of ordinary code); every one-line answer of the course's
solutions is below that. Answers that were not attempted (still raising
NotImplementedError) or are missing are not compared either.

Nothing here changes a grade: it lists pairs and flags for the instructor.
"""

from __future__ import annotations

import ast
import builtins
import copy
import csv
import inspect
import textwrap
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from polysemantic.grading import escape
from polysemantic.grading.question import Question
from polysemantic.grading.results import Status, SubmissionResult

MIN_NODES = 50  # normalised syntax-tree nodes below which an answer is never compared
K = 5  # tokens per fingerprinted k-gram
WINDOW = 4  # k-grams per winnowing window
LISTED = 0.7  # similarity from which a pair is listed in similarity.csv
REFERENCE = "(course reference)"
_BUILTINS = set(dir(builtins))


@dataclass(frozen=True)
class Answer:
    """One answer, normalised: its tokens, their fingerprints, and its size."""

    tokens: tuple[str, ...]
    nodes: int
    fingerprints: frozenset[int] = field(compare=False)

    @property
    def comparable(self) -> bool:
        return self.nodes >= MIN_NODES


@dataclass(frozen=True)
class Pair:
    question_id: str
    first: str  # a notebook
    second: str  # another notebook, or REFERENCE
    score: float
    identical: bool


class _Normaliser(ast.NodeTransformer):
    """Rename a function's own names in order of appearance, write module aliases out,
    drop docstrings and annotations."""

    def __init__(self, aliases: dict[str, str], helpers: dict[str, str]):
        self.aliases, self.helpers, self.names = aliases, helpers, {}

    def _local(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.body, node.returns = _strip_docstring(node.body), None
        node.decorator_list = []
        node.name = self.helpers.get(node.name, self._local(node.name))
        outer, self.names = self.names, {}  # renaming is scoped per function
        self.generic_visit(node)
        self.names = outer
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg, node.annotation = self._local(node.arg), None
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.helpers:
            node.id = self.helpers[node.id]
        elif node.id in self.names or isinstance(node.ctx, ast.Store):
            node.id = self._local(node.id)
        elif node.id in self.aliases:
            node.id = self.aliases[node.id]
        elif node.id not in _BUILTINS:
            node.id = "G"  # another global of the notebook
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        self.generic_visit(node)
        if node.value is None:
            return ast.Pass()
        return ast.Assign(targets=[node.target], value=node.value)


def _tokens(tree: ast.AST) -> list[str]:
    """The tree in pre-order: node types, names, attributes and constants."""
    out: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
        out.append(type(node).__name__)
        if isinstance(node, ast.Name):
            out.append(node.id)
        elif isinstance(node, ast.Attribute):
            out.append(node.attr)
        elif isinstance(node, ast.Constant):
            out.append(repr(node.value))
        elif isinstance(node, ast.keyword):
            out.append(str(node.arg))
        elif isinstance(node, ast.arg):
            out.append(node.arg)
    return out


def fingerprints(tokens: list[str]) -> frozenset[int]:
    """Winnowing: hash every k-gram, keep the smallest hash of each window."""
    if len(tokens) < K:
        return frozenset({zlib.crc32(" ".join(tokens).encode())})
    hashes = [zlib.crc32(" ".join(tokens[i : i + K]).encode()) for i in range(len(tokens) - K + 1)]
    if len(hashes) <= WINDOW:
        return frozenset({min(hashes)})
    return frozenset(min(hashes[i : i + WINDOW]) for i in range(len(hashes) - WINDOW + 1))


def similarity(a: Answer, b: Answer) -> float:
    """Jaccard similarity of two answers' fingerprints, 1.0 when they are identical."""
    if a.tokens == b.tokens:
        return 1.0
    union = a.fingerprints | b.fingerprints
    return len(a.fingerprints & b.fingerprints) / len(union) if union else 0.0


def _aliases(tree: ast.Module) -> dict[str, str]:
    aliases = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _param_names(node: _Function) -> list[str]:
    a = node.args
    return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]


def _decorated(node: ast.expr, target: ast.AST, functions: dict[str, _Function]) -> ast.AST:
    """What `@node` makes of `target`: the function a notebook decorator returns when it
    returns another of the notebook's functions (or a lambda's), else `target`."""
    if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Name):
        return functions.get(node.body.id, target)
    if isinstance(node, ast.Name) and node.id in functions:
        decorator = functions[node.id]
        own = set(_param_names(decorator))
        for statement in ast.walk(decorator):
            if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Name):
                name = statement.value.id
                if name not in own and name in functions:
                    return functions[name]
    return target


def _graded(tree: ast.Module, name: str) -> ast.AST | None:
    """What `name` is bound to after the module runs: a function (after its decorators)
    or a class, following `name = other` and `name = decorator(other)`."""
    functions: dict[str, _Function] = {}
    bound: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
            target: ast.AST = node
            for decorator in reversed(node.decorator_list):
                target = _decorated(decorator, target, functions)
            bound[node.name] = target
        elif isinstance(node, ast.ClassDef):
            bound[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            left, value = node.targets[0], node.value
            if not isinstance(left, ast.Name):
                continue
            if isinstance(value, ast.Name) and value.id in bound:
                bound[left.id] = bound[value.id]
            elif (
                isinstance(value, ast.Call)
                and len(value.args) == 1
                and isinstance(value.args[0], ast.Name)
                and value.args[0].id in bound
            ):
                bound[left.id] = _decorated(value.func, bound[value.args[0].id], functions)
            else:
                bound.pop(left.id, None)
    return bound.get(name)


class _Inliner(ast.NodeTransformer):
    """Inline the notebook's helpers into a function (helper splitting undone)."""

    def __init__(self, functions: dict[str, _Function], depth: int = 0):
        self.functions, self.depth, self.count = functions, depth, 0

    def _helper(self, call: ast.AST) -> _Function | None:
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return None
        helper = self.functions.get(call.func.id)
        if helper is None or self.depth > 3 or call.keywords:
            return None
        a = helper.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
            return None
        if len(a.args) != len(call.args) or any(isinstance(x, ast.Starred) for x in call.args):
            return None
        return helper

    def _body(self, helper: _Function, call: ast.Call) -> tuple[list[ast.stmt], ast.expr] | None:
        """The helper's statements with its names made unique, and its returned value."""
        body = _strip_docstring(copy.deepcopy(helper.body))
        self.count += 1
        prefix = f"_{helper.name}{self.count}_"
        own = {n.id for n in ast.walk(ast.Module(body, [])) if isinstance(n, ast.Name)}
        own = {n for n in own if n not in self.functions} | set(_param_names(helper))
        for node in ast.walk(ast.Module(body, [])):
            if isinstance(node, ast.Name) and node.id in own:
                node.id = prefix + node.id
        returns = [n for n in ast.walk(ast.Module(body, [])) if isinstance(n, ast.Return)]
        if len(returns) != 1 or body[-1] is not returns[0] or returns[0].value is None:
            return None
        setup = [
            ast.Assign([ast.Name(prefix + p, ast.Store())], arg)
            for p, arg in zip(_param_names(helper), call.args, strict=True)
        ]
        inner = _Inliner(self.functions, self.depth + 1)
        statements = [inner.visit(st) for st in setup + body[:-1]]
        return statements, inner.visit(returns[0].value)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        helper = self._helper(node)
        if helper is None:
            return node
        body = _strip_docstring(helper.body)
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            values = dict(zip(_param_names(helper), node.args, strict=True))
            expression = copy.deepcopy(body[0].value)
            for sub in ast.walk(expression):
                for field_name, value in ast.iter_fields(sub):
                    if isinstance(value, ast.Name) and value.id in values:
                        setattr(sub, field_name, copy.deepcopy(values[value.id]))
                    elif isinstance(value, list):
                        value[:] = [
                            copy.deepcopy(values[v.id])
                            if isinstance(v, ast.Name) and v.id in values
                            else v
                            for v in value
                        ]
            return _Inliner(self.functions, self.depth + 1).visit(expression)
        return node

    def _statement(self, node: ast.stmt, value: ast.AST) -> list[ast.stmt] | None:
        helper = self._helper(value)
        if helper is None or len(_strip_docstring(helper.body)) == 1:
            return None
        inlined = self._body(helper, value)  # type: ignore[arg-type]
        if inlined is None:
            return None
        statements, result = inlined
        if isinstance(node, ast.Return):
            return [*statements, ast.Return(result)]
        if isinstance(node, ast.Assign):
            return [*statements, ast.Assign(node.targets, result)]
        return [*statements, ast.Expr(result)]

    def _block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in body:
            call = getattr(statement, "value", None)
            if isinstance(statement, (ast.Return, ast.Assign, ast.Expr)):
                replaced = self._statement(statement, call)
                if replaced is not None:
                    out += [self.visit(s) for s in replaced]
                    continue
            out.append(self.visit(statement))
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        return _visit_fields(self, node, self._block)


def _visit_fields(
    visitor: ast.NodeTransformer, node: ast.AST, block: Callable[[list[ast.stmt]], list[ast.stmt]]
) -> ast.AST:
    """A transformer's generic visit, with every list of statements passed to `block`."""
    for field_name, value in ast.iter_fields(node):
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            setattr(node, field_name, block(value))
        elif isinstance(value, list):
            setattr(
                node, field_name, [visitor.visit(v) if isinstance(v, ast.AST) else v for v in value]
            )
        elif isinstance(value, ast.AST):
            setattr(node, field_name, visitor.visit(value))
    return node


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[1:] or [ast.Pass()]
    return body


def _stored(node: ast.AST) -> set[str]:
    """The names a statement writes (a subscript's or attribute's base included)."""
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            out.add(sub.id)
        elif isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, ast.Store):
            base = sub.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            if sub.func.attr.endswith("_") and isinstance(sub.func.value, ast.Name):
                out.add(sub.func.value.id)  # an in-place method (torch's add_, ...)
    return out


def _read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)


def _shape(node: ast.stmt) -> str:
    """A statement's form with every name blanked: the key of the canonical order."""
    blank = copy.deepcopy(node)
    for sub in ast.walk(blank):
        if isinstance(sub, ast.Name):
            sub.id = "_"
    return ast.dump(blank)


def _canonical_order(body: list[ast.stmt]) -> list[ast.stmt]:
    """Runs of simple statements in one order: among those whose predecessors are
    placed, the one of smallest shape first. Control flow stays where it is."""
    out: list[ast.stmt] = []
    run: list[ast.stmt] = []

    def flush() -> None:
        effects = [(_read(st), _stored(st)) for st in run]
        placed: list[int] = []
        left = list(range(len(run)))
        while left:
            ready = [
                j
                for j in left
                if not any(
                    i < j
                    and (
                        effects[i][1] & (effects[j][0] | effects[j][1])
                        or effects[i][0] & effects[j][1]
                    )
                    for i in left
                )
            ]
            pick = min(ready, key=lambda j: (_shape(run[j]), j))
            placed.append(pick)
            left.remove(pick)
        out.extend(run[j] for j in placed)
        run.clear()

    for statement in body:
        if isinstance(statement, _SIMPLE) and not any(
            isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr))
            for n in ast.walk(statement)
        ):
            run.append(statement)
        else:
            flush()
            out.append(statement)
    flush()
    return out


class _Simplifier(ast.NodeTransformer):
    """Dead code out, copies propagated, independent statements in canonical order."""

    def __init__(self, function: _Function):
        self.params = set(_param_names(function))

    def _block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out = self._statements(body)
        return out or [ast.Pass()]

    def _statements(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in body:
            if isinstance(statement, ast.If) and isinstance(statement.test, ast.Constant):
                out += self._statements(
                    statement.body if statement.test.value else statement.orelse
                )
                continue
            if isinstance(statement, ast.While) and isinstance(statement.test, ast.Constant):
                if not statement.test.value:
                    continue
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                continue
            if isinstance(statement, ast.Pass):
                continue
            out.append(self.visit(statement))
            if isinstance(statement, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                break  # what follows never runs
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        return _visit_fields(self, node, self._block)

    def simplify(self, function: _Function) -> _Function:
        function.body = self._block(_strip_docstring(function.body))
        for _ in range(20):  # to a fixed point: each pass may uncover more
            if not (self._drop_dead_stores(function) | self._propagate_copies(function)):
                break
        for node in ast.walk(function):
            for field_name, value in ast.iter_fields(node):
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    kept = [st for st in value if not isinstance(st, ast.Pass)] or [ast.Pass()]
                    setattr(node, field_name, _canonical_order(kept))
        return function

    def _drop_dead_stores(self, function: _Function) -> bool:
        loaded = _read(function)
        changed = False
        for node in ast.walk(function):
            for field_name, value in ast.iter_fields(node):
                if not (isinstance(value, list) and value and isinstance(value[0], ast.stmt)):
                    continue
                kept = [
                    st
                    for st in value
                    if not (
                        isinstance(st, ast.Assign)
                        and all(isinstance(t, ast.Name) and t.id not in loaded for t in st.targets)
                        and not any(
                            isinstance(c, ast.Call)
                            and isinstance(c.func, ast.Attribute)
                            and c.func.attr.endswith("_")
                            for c in ast.walk(st.value)
                        )
                    )
                ]
                if len(kept) != len(value):
                    setattr(node, field_name, kept or [ast.Pass()])
                    changed = True
        return changed

    def _propagate_copies(self, function: _Function) -> bool:
        stores: dict[str, int] = {}
        for sub in ast.walk(function):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                stores[sub.id] = stores.get(sub.id, 0) + 1
        for p in self.params:
            stores[p] = stores.get(p, 0) + 1
        for node in ast.walk(function):
            for _, value in ast.iter_fields(node):
                if not (isinstance(value, list) and value and isinstance(value[0], ast.stmt)):
                    continue
                for k, st in enumerate(value):
                    if (
                        isinstance(st, ast.Assign)
                        and len(st.targets) == 1
                        and isinstance(st.targets[0], ast.Name)
                        and isinstance(st.value, ast.Name)
                        and stores.get(st.targets[0].id) == 1
                        and stores.get(st.value.id, 0) <= 1
                    ):
                        old, new = st.targets[0].id, st.value.id
                        del value[k]
                        if not value:
                            value.append(ast.Pass())
                        for sub in ast.walk(function):
                            if isinstance(sub, ast.Name) and sub.id == old:
                                sub.id = new
                        return True
        return False


def normalise(code: str, name: str) -> Answer | None:
    """The answer `name` of a notebook's definitions, as the grader called it (see
    the module's docstring), with the notebook's functions it calls; None if absent."""
    try:
        tree = ast.parse(code)
        return _normalise(tree, name)
    except (SyntaxError, ValueError, RecursionError, MemoryError, TypeError, AttributeError):
        return None


def _normalise(tree: ast.Module, name: str) -> Answer | None:
    functions: dict[str, _Function] = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    graded = _graded(tree, name)
    if graded is None:
        return None
    units: list[_Function] = []
    if isinstance(graded, ast.ClassDef):  # a class: its methods, in order
        units = [n for n in graded.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    elif isinstance(graded, (ast.FunctionDef, ast.AsyncFunctionDef)):
        units = [graded]
    if not units:
        return None
    answer = copy.deepcopy(units)
    for unit in answer:
        unit.decorator_list = []
    inliner = _Inliner(functions)
    answer = [inliner.visit(unit) for unit in answer]
    order: list[str] = []  # helpers still called after inlining, in call-graph order
    queue = list(answer)
    while queue:
        for node in ast.walk(queue.pop(0)):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in order:
                if node.id in (u.name for u in units):
                    continue
                order.append(node.id)
                helper = _Inliner(functions).visit(copy.deepcopy(functions[node.id]))
                helper.decorator_list = []
                answer.append(helper)
                queue.append(helper)
    answer = [_Simplifier(unit).simplify(unit) for unit in answer]
    methods = {u.name for u in units} if isinstance(graded, ast.ClassDef) else set()
    helpers = {unit.name: f"h{i}" for i, unit in enumerate(answer) if unit.name not in methods}
    helpers.update({m: m for m in methods})  # a class's methods keep their names (its API)
    module = ast.Module(answer, [])
    module = _Normaliser(_aliases(tree), helpers).visit(ast.parse(ast.unparse(module)))
    tokens = _tokens(module)
    bodies = [n for f in module.body for n in f.body]
    nodes = sum(1 for _ in ast.walk(ast.Module(bodies, [])))
    return Answer(tuple(tokens), nodes, fingerprints(tokens))


def reference_answer(question: Question) -> Answer | None:
    """The course's reference implementation, normalised the same way (its module's
    imports give the aliases)."""
    try:
        source = textwrap.dedent(inspect.getsource(question.reference))
        module_source = inspect.getsource(inspect.getmodule(question.reference))
    except (OSError, TypeError):
        return None
    imports = "\n".join(
        ast.unparse(n)
        for n in ast.parse(module_source).body
        if isinstance(n, (ast.Import, ast.ImportFrom))
    )
    source = source.replace(f"def {question.reference.__name__}(", f"def {question.answer_name}(")
    return normalise(imports + "\n" + source, question.answer_name)


@dataclass
class IntegrityReport:
    pairs: list[Pair]

    def flags(self, name_of: Callable[[str], str]) -> dict[str, list[str]]:
        """Per notebook, what the instructor should look at: identical answers only."""
        found: dict[str, list[str]] = {}
        for pair in self.pairs:
            if not pair.identical:
                continue
            if pair.second == REFERENCE:
                found.setdefault(pair.first, []).append(
                    f"{pair.question_id}: matches the course's reference"
                )
                continue
            for one, other in ((pair.first, pair.second), (pair.second, pair.first)):
                found.setdefault(one, []).append(
                    f"{pair.question_id}: same as {name_of(other)} ({Path(other).name})"
                )
        return found

    def write_csv(self, path: Path, name_of: Callable[[str], str]) -> None:
        """similarity.csv: one row per pair listed, most alike first within a question."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(
                ["question", "student", "file", "other_student", "other_file", "score", "identical"]
            )
            for p in self.pairs:
                other = REFERENCE if p.second == REFERENCE else name_of(p.second)
                writer.writerow(
                    escape.row(
                        [
                            p.question_id,
                            name_of(p.first),
                            p.first,
                            other,
                            "" if p.second == REFERENCE else p.second,
                            f"{p.score:.2f}",
                            "yes" if p.identical else "no",
                        ]
                    )
                )


def check(
    submissions: Iterable[tuple[str, str]],
    results: Iterable[SubmissionResult],
    questions: Iterable[Question],
) -> IntegrityReport:
    """Compare every attempted answer with every other, and with the reference.

    submissions: (notebook, its definitions' code); results: their grades (to leave
    out answers that were not attempted).
    """
    code = dict(submissions)
    attempted = {
        (r.notebook, qid)
        for r in results
        for qid, q in r.questions.items()
        if q.status not in (Status.NOT_ATTEMPTED, Status.MISSING)
    }
    pairs: list[Pair] = []
    for question in questions:
        answers = {}
        for notebook, source in code.items():
            if (notebook, question.id) in attempted:
                answer = normalise(source, question.answer_name)
                if answer is not None and answer.comparable:
                    answers[notebook] = answer
        found = []
        names = sorted(answers)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                score = similarity(answers[first], answers[second])
                if score >= LISTED:
                    identical = answers[first].tokens == answers[second].tokens
                    found.append(Pair(question.id, first, second, score, identical))
        reference = reference_answer(question)
        if reference is not None:
            for notebook in names:
                score = similarity(answers[notebook], reference)
                if score >= LISTED:
                    identical = answers[notebook].tokens == reference.tokens
                    found.append(Pair(question.id, notebook, REFERENCE, score, identical))
        pairs += sorted(found, key=lambda p: (-p.score, p.first, p.second))
    return IntegrityReport(pairs)
