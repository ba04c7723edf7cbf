"""The integrity report: answers copied from another student, or from the course's reference.

Per question, every attempted answer (the answer function and the helper functions
it calls) is normalised: parsed, docstrings, comments, annotations and formatting
dropped, its own names (arguments, locals, helpers) renamed in order of appearance,
module aliases written out (`np` -> `numpy`). Two answers are the same up to renaming,
comments and formatting when their normalised forms are equal; how alike two answers
are otherwise is the Jaccard similarity of their winnowed fingerprints (k-grams of
the normalised tokens, the smallest hash of every window kept, as in MOSS: Schleimer,
Wilkerson and Aiken, "Winnowing", SIGMOD 2003).

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
import csv
import inspect
import textwrap
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:] or [ast.Pass()]
        node.body, node.returns = body, None
        node.name = self.helpers.get(node.name, self._local(node.name))
        self.generic_visit(node)
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


def normalise(code: str, name: str) -> Answer | None:
    """The answer `name` of a notebook's definitions (the last function of that name,
    as Python would keep it), with the notebook's functions it calls; None if absent."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if name not in functions:
        return None
    order, queue = [name], [name]  # the answer, then the helpers it reaches
    while queue:
        for node in ast.walk(functions[queue.pop(0)]):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in order:
                order.append(node.id)
                queue.append(node.id)
    helpers = {helper: f"h{i}" for i, helper in enumerate(order)}
    module = ast.Module([functions[f] for f in order], [])
    try:
        module = _Normaliser(_aliases(tree), helpers).visit(ast.parse(ast.unparse(module)))
        tokens = _tokens(module)
    except RecursionError:
        return None
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
