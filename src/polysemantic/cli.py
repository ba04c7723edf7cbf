"""The `polysemantic` command.

polysemantic exercises [--check]        regenerate exercises/ from solutions/
polysemantic grade NOTEBOOK [--json]    grade one notebook's answers
polysemantic grade DIR... --out CSV     a gradebook for many submissions (and
                                        --feedback DIR: a file for each student)
polysemantic execute [NOTEBOOK...]      rerun solution notebooks, storing their outputs
polysemantic book [--without-solutions] build the HTML book into _build/html
polysemantic lab                        open your copies of the exercises in JupyterLab
polysemantic artifacts                  regenerate chapter 06's full-size results
polysemantic handouts [CHAPTER...]      printable PDFs into _build/handouts
polysemantic pdf                        the built book as one PDF, _build/html/polysemantic.pdf
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from polysemantic.authoring.exercises import MarkerError, sync
from polysemantic.authoring.repository import RepositoryError, read_repository
from polysemantic.grading.results import SubmissionStatus


def _root(path: str | None) -> Path:
    """The course repository: the given folder, or the nearest one holding solutions/."""
    if path:
        return Path(path)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "book").is_dir():
            return folder
    return here


def _fail(command: str, message: str) -> int:
    print(f"polysemantic {command}: error: {message}", file=sys.stderr)
    return 2


def cmd_exercises(args: argparse.Namespace) -> int:
    root = _root(args.root)
    if not (root / "solutions").is_dir():
        return _fail("exercises", f"no solutions/ folder in {root}")
    try:
        repository = read_repository(root)
        problems = sync(
            root / "solutions", root / "exercises", check=args.check, repository=repository
        )
    except (MarkerError, RepositoryError) as error:
        return _fail("exercises", str(error))
    if args.check:
        for problem in problems:
            print(problem)
        if problems:
            print("Run `polysemantic exercises` to regenerate them.", file=sys.stderr)
        return 1 if problems else 0
    for problem in problems:
        print(f"wrote {problem.split(' ')[0]}" if "has no" not in problem else problem)
    if not problems:
        print("exercises/ is up to date")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    import warnings

    warnings.simplefilter("ignore")  # the grader speaks for itself (notes, reasons)
    if args.gradescope is not None:
        return _gradescope_bundle(args)
    if not args.notebooks:
        return _fail("grade", "name the notebooks (or folders) to grade")
    if args.gradescope_results is not None:
        return _gradescope_results(args)
    single = len(args.notebooks) == 1 and not args.notebooks[0].is_dir()
    if args.out is None and args.feedback is None and single:
        return _grade_single(args)
    return _grade_class(args)


def _grade_class(args: argparse.Namespace) -> int:
    """A gradebook, the integrity report, item analysis and feedback for many notebooks."""
    from polysemantic.course import COURSE
    from polysemantic.grading import feedback, integrity, item_analysis
    from polysemantic.grading.escape import plain
    from polysemantic.grading.gradebook import (
        GradebookError,
        check_outputs_free,
        collect,
        grade_class,
        outputs,
        student_id,
        write_gradebook,
    )
    from polysemantic.grading.sandbox import SandboxError

    try:
        paths = collect(args.notebooks)
        if args.out is not None and not args.force:  # before grading, not after
            check_outputs_free(args.out)
    except (GradebookError, OSError) as error:
        return _fail("grade", str(error))
    if not paths:
        return _fail("grade", "no notebooks found in " + ", ".join(map(str, args.notebooks)))
    names = feedback.file_names(str(p) for p in paths)
    if args.feedback is not None:
        if args.feedback.exists() and not args.feedback.is_dir():
            return _fail("grade", f"{args.feedback} is a file, not a folder for --feedback")
        there = feedback.existing(args.feedback, names.values())
        if there and not args.force:
            return _fail(
                "grade",
                f"{there[0]} already exists ({len(there)} feedback file(s) would be replaced): "
                "choose another --feedback folder, or pass --force",
            )
    print(
        f"grading {len(paths)} notebook(s), {args.jobs or 'one per core'} at a time ...",
        file=sys.stderr,
        flush=True,
    )
    try:
        graded = grade_class(paths, COURSE, jobs=args.jobs, seed=args.seed, timeout=args.timeout)
    except SandboxError as error:
        return _fail("grade", str(error))
    results = graded.results
    if graded.sandbox is not None:
        print(graded.sandbox["summary"])
    for r in results:
        status = "" if r.status == SubmissionStatus.GRADED else f"  ({r.status})"
        print(f"{r.total:>6g} / {r.max_total:<4g} {plain(r.notebook)}{status}")
    chapters = {r.chapter for r in results if r.chapter}
    questions = [q for q in COURSE.all() if q.chapter in chapters]
    report = integrity.check(graded.code.items(), results, questions)
    flags = report.flags(lambda notebook: student_id(Path(notebook)))
    flagged = sum(len(f) for f in flags.values())
    identical = sum(p.identical for p in report.pairs)
    print(
        f"integrity: {flagged} flag(s) on {len(flags)} submission(s); {len(report.pairs)} "
        f"similar pair(s), {identical} identical up to renaming "
        f"(answers under {integrity.MIN_NODES} syntax nodes are not compared)"
    )
    items = item_analysis.analyse(results, questions)
    if items:
        print("item analysis (share of the class that passed):")
        print(item_analysis.table(items))
    if args.out is not None:
        # Checked before grading; what appeared since came from a submission: replace it.
        json_path = write_gradebook(
            results, args.out, COURSE, force=True, flags=flags, sandbox=graded.sandbox
        )
        _, _, similarity_csv, items_csv = outputs(args.out)
        report.write_csv(similarity_csv, lambda notebook: student_id(Path(notebook)))
        item_analysis.write_csv(items, items_csv)
        print(f"wrote {args.out}, {json_path}, {similarity_csv} and {items_csv}")
    if args.feedback is not None:
        count = feedback.write(results, args.feedback, student_id, names)
        print(f"wrote {count} feedback file(s) into {args.feedback}")
    return 0


def _gradescope_bundle(args: argparse.Namespace) -> int:
    from polysemantic.grading.gradescope import write_bundle

    root = _root(None)
    if not (root / "pyproject.toml").exists():
        return _fail("grade", f"run this from the course repository (no pyproject.toml in {root})")
    try:
        folder = write_bundle(args.gradescope, root)
    except FileExistsError as error:
        return _fail("grade", str(error))
    print(
        f"wrote the Gradescope autograder to {folder}: zip its contents "
        f"(cd {folder} && zip -r ../autograder.zip .) and upload the zip. Its hidden cases "
        f"come from a private seed drawn now, kept only in {folder / 'hidden_seed'}: "
        "keep the bundle private"
    )
    return 0


def _gradescope_results(args: argparse.Namespace) -> int:
    """Grade one submission and write Gradescope's results.json (never fails: a
    submission that cannot be read gets 0 points and the reason)."""
    from polysemantic.course import COURSE
    from polysemantic.grading.gradebook import grade_one_path
    from polysemantic.grading.gradescope import results_json

    result = grade_one_path(args.notebooks[0], COURSE, seed=args.seed, timeout=args.timeout)
    args.gradescope_results.parent.mkdir(parents=True, exist_ok=True)
    args.gradescope_results.write_text(
        json.dumps(results_json(result), indent=1, ensure_ascii=False), encoding="utf-8"
    )
    if result.sandbox is not None:
        print(result.sandbox["summary"])
    print(f"{result.total:g} / {result.max_total:g} points")
    return 0


def _grade_single(args: argparse.Namespace) -> int:
    from polysemantic.course import COURSE
    from polysemantic.grading.escape import plain
    from polysemantic.grading.grade import grade_notebook
    from polysemantic.grading.notebook import NotebookError
    from polysemantic.grading.sandbox import SandboxError

    try:
        result = grade_notebook(
            args.notebooks[0], COURSE, hidden_seed=args.seed, timeout=args.timeout
        )
    except (NotebookError, SandboxError) as error:
        return _fail("grade", str(error))
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return 0
    if result.sandbox is not None:
        print(result.sandbox["summary"])
    print(
        f"{plain(result.notebook)}: {result.total:g} / {result.max_total:g} points"
        + ("" if result.status == SubmissionStatus.GRADED else f" ({result.status_line})")
    )
    for qid, q in result.questions.items():
        print(f"  {qid:<32} {q.points:>5g} / {q.max_points:g}  {q.status}: {q.message}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def cmd_execute(args: argparse.Namespace) -> int:
    """Run solution notebooks top to bottom and store their outputs, as nbval expects."""
    import os

    import nbformat
    from nbclient import NotebookClient

    root = _root(args.root)
    paths = args.notebooks or sorted((root / "solutions").glob("*.ipynb"))
    os.environ["POLYSEMANTIC_PROGRESS"] = "0"
    # The tests run notebooks single-threaded (conftest.py); store outputs the same way
    # so that the last printed digit cannot differ with the thread count.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    for path in paths:
        if not Path(path).exists():
            return _fail("execute", f"{path}: no such file")
        notebook = nbformat.read(path, as_version=4)
        print(f"running {path} ...", flush=True)
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(Path(path).parent)}},
        ).execute()
        for cell in notebook.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(notebook, path)
    return 0


def cmd_artifacts(args: argparse.Namespace) -> int:
    from polysemantic.superposition_sweeps import make_artifact

    print(
        "training the full-size sweeps (about 2 minutes on a 2-core CPU, "
        "4 without a C compiler) ...",
        flush=True,
    )
    path = make_artifact()
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


def cmd_sae_sweep(args: argparse.Namespace) -> int:
    from polysemantic.sae_sweep import make_artifact

    print("training SAEs of 1x, 4x and 16x the neurons and a TopK SAE (minutes) ...", flush=True)
    path = make_artifact()
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


def cmd_lm_sweep(args: argparse.Namespace) -> int:
    from polysemantic.polysemanticity_sweep import make_artifact

    print("training 8 small language models and 4 toy models (minutes) ...", flush=True)
    path = make_artifact()
    print(f"wrote {path} ({path.stat().st_size:,} bytes) and its penalty sweep beside it")
    return 0


def _recorded_loss(path: Path) -> float | None:
    """The final held-out loss a saved model recorded, or None (no file, another format)."""
    from polysemantic.language_model import tiny_lm

    try:
        return tiny_lm.load_lm_and_meta(path)[1]["eval_loss"][-1]
    except (OSError, KeyError, TypeError, ValueError, RuntimeError):
        return None


def cmd_train_lm(args: argparse.Namespace) -> int:
    """Train the tiny language model of chapters 02 and 08 and save its weights."""
    from polysemantic.language_model import tiny_lm

    out = args.out or (tiny_lm.SCRAMBLED_ARTIFACT if args.scramble else tiny_lm.ARTIFACT)
    if out.exists() and not args.force:
        return _fail(
            "train-lm",
            f"{out} exists: add --force to replace it (or --out PATH to write somewhere else)",
        )
    if not out.parent.is_dir():
        return _fail("train-lm", f"{out.parent}: no such folder")
    before = _recorded_loss(out)
    cfg = tiny_lm.TinyLMConfig(seed=args.seed, scramble=args.scramble)
    print(
        "training the language model (a few minutes on a 2-core CPU; the time is measured "
        "by benchmarks/train_lm_budget.py) ...",
        flush=True,
    )
    run = tiny_lm.train_lm(cfg)
    tiny_lm.save_lm(run, cfg, out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    print(
        f"held-out loss: {run.eval_loss[-1]:.3f} bits per byte"
        + ("" if before is None else f" (the model it replaced: {before:.3f})")
    )
    held_out = tiny_lm.evaluation_text()
    bits = tiny_lm.read_text(run.model, held_out.text).bits
    for domain, value in tiny_lm.loss_per_domain(bits, held_out).items():
        print(f"  {domain:<10} {value:.3f} bits per byte")
    return 0


def cmd_handouts(args: argparse.Namespace) -> int:
    import time

    from polysemantic.authoring.handouts import HandoutError, build

    root = _root(args.root)
    out = args.out or root / "_build" / "handouts"
    if not (root / "chapters").is_dir():
        return _fail("handouts", f"no chapters/ folder in {root}")
    start = time.perf_counter()
    try:
        written = build(root, out, paper=args.paper, stems=args.chapters, force=args.force)
    except HandoutError as error:
        return _fail("handouts", str(error))
    for path in written:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    print(f"{len(written)} handouts in {time.perf_counter() - start:.0f} s")
    return 0


def cmd_pdf(args: argparse.Namespace) -> int:
    from polysemantic.authoring.book_pdf import PdfError, build

    root = _root(args.root)
    if not (root / "book" / "_toc.yml").exists():
        return _fail("pdf", f"no book/_toc.yml in {root}")
    print("printing the built book's pages in Chromium ...", flush=True)
    try:
        made = build(root, args.html, args.out, paper=args.paper)
    except PdfError as error:
        return _fail("pdf", str(error))
    chapters = sum(page.is_chapter for page in made.pages)
    print(
        f"wrote {made.path} ({made.n_pages} pages, {chapters} chapters bookmarked, "
        f"{made.path.stat().st_size / 1e6:.1f} MB) in {made.seconds:.0f} s"
    )
    return 0


def cmd_book(args: argparse.Namespace) -> int:
    from polysemantic.authoring.build import BuildError, build_book
    from polysemantic.authoring.solution_scan import scan_site, solution_secrets

    root = _root(args.root)
    try:
        out = build_book(
            root,
            build_dir=args.build_dir,
            without_solutions=args.without_solutions,
            rebuild_all=args.all,
        )
    except BuildError as error:
        return _fail("book", str(error))
    edition = "The book"
    if args.without_solutions:
        # The build checks its own output: no page, source or download holds an answer.
        findings = scan_site(out, solution_secrets(root))
        for finding in findings[:20]:
            print(f"{finding.file}: {finding.line}  (from solutions/{finding.notebook})")
        if findings:
            files = len({finding.file for finding in findings})
            return _fail("book", f"solution text found in {files} file(s) of {out}, listed above")
        edition = "The book without solutions (checked: no page holds solution text)"
    index = out / "index.html"
    print(
        f"\n{edition} is built: {index}\n"
        f"Open that file in a browser, or serve it with\n"
        f"    python -m http.server --directory {out} 8000\n"
        f"and visit http://localhost:8000"
        + (" (or run `make serve`)." if out == root.resolve() / "_build" / "html" else ".")
    )
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    """Copy the exercises into the learner's folder (never replacing one) and open JupyterLab."""
    import subprocess

    from polysemantic.lab import WORKSPACE, LabError, copy_exercises, lab_command

    root = _root(args.root)
    workspace = (args.dir or root / WORKSPACE).resolve()
    try:
        copied = copy_exercises(root / "exercises", workspace)
        command = lab_command(workspace) + args.jupyter_args
    except LabError as error:
        return _fail("lab", str(error))
    total = len(list(workspace.glob("*.ipynb")))
    print(
        f"{workspace}: {total} exercise notebooks, yours to edit"
        + (f" ({len(copied)} copied now from exercises/)" if copied else "")
        + "; `make lab` never replaces one."
    )
    if args.dry_run:
        print(" ".join(command))
        return 0
    print("Opening JupyterLab; stop it with Ctrl+C.", flush=True)
    try:
        return subprocess.run(command, cwd=workspace).returncode
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="polysemantic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    exercises = commands.add_parser("exercises", help="regenerate exercises/ from solutions/")
    exercises.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date"
    )
    exercises.add_argument("--root", help="the course folder (default: found from here)")
    exercises.set_defaults(run=cmd_exercises)

    grade = commands.add_parser("grade", help="grade notebooks: one report, or a gradebook")
    grade.add_argument(
        "notebooks",
        type=Path,
        nargs="*",
        metavar="SUBMISSION",
        help="notebooks, or folders searched for *.ipynb",
    )
    grade.add_argument(
        "--gradescope",
        type=Path,
        metavar="DIR",
        help="write a Gradescope autograder bundle into DIR (no submissions)",
    )
    grade.add_argument(
        "--gradescope-results",
        type=Path,
        metavar="JSON",
        help="grade one submission into Gradescope's results.json",
    )
    grade.add_argument("--json", action="store_true", help="one notebook: print the result as JSON")
    grade.add_argument(
        "--out",
        type=Path,
        metavar="CSV",
        help="write a gradebook CSV (and beside it: a JSON with every case, "
        "similarity.csv, item_analysis.csv)",
    )
    grade.add_argument(
        "--feedback",
        type=Path,
        metavar="DIR",
        help="write one Markdown feedback file per submission into DIR (hidden cases "
        "counted, not shown)",
    )
    grade.add_argument(
        "--force", action="store_true", help="replace existing --out and --feedback files"
    )
    grade.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="notebooks graded at once (default: the number of cores)",
    )
    grade.add_argument(
        "--seed",
        default="0",
        help="seed of the hidden cases: any text; pick a long private one (e.g. "
        "`python -c 'import secrets; print(secrets.token_hex(16))'`), since a short seed "
        "can be found by trying seeds",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds the notebook's answers may take (default 120)",
    )
    grade.set_defaults(run=cmd_grade)

    execute = commands.add_parser("execute", help="rerun solution notebooks, storing outputs")
    execute.add_argument("notebooks", nargs="*", type=Path)
    execute.add_argument("--root", help="the course folder (default: found from here)")
    execute.set_defaults(run=cmd_execute)

    book = commands.add_parser("book", help="build the HTML book into _build/html")
    book.add_argument("--root", help="the course folder (default: found from here)")
    book.add_argument("--all", action="store_true", help="rebuild every page")
    book.add_argument(
        "--without-solutions",
        action="store_true",
        help="leave the solution pages out (for a graded class); checks that none remains",
    )
    book.add_argument(
        "--build-dir",
        type=Path,
        metavar="DIR",
        help="build into DIR/html (default: _build/html)",
    )
    book.set_defaults(run=cmd_book)

    lab = commands.add_parser("lab", help="open your copies of the exercises in JupyterLab")
    lab.add_argument("--root", help="the course folder (default: found from here)")
    lab.add_argument(
        "--dir", type=Path, help="your notebooks' folder (default: my-exercises/ in the course)"
    )
    lab.add_argument(
        "jupyter_args",
        nargs="*",
        metavar="-- JUPYTER_ARG",
        help="passed on to jupyter lab, e.g. `polysemantic lab -- --no-browser`",
    )
    lab.add_argument(
        "--dry-run",
        action="store_true",
        help="copy the notebooks and print the command only",
    )
    lab.set_defaults(run=cmd_lab)

    artifacts = commands.add_parser("artifacts", help="regenerate chapter 06's sweeps")
    artifacts.set_defaults(run=cmd_artifacts)

    lm_sweep = commands.add_parser(
        "lm-sweep", help="regenerate chapter 02's sweep of features per neuron"
    )
    lm_sweep.set_defaults(run=cmd_lm_sweep)
    sae_sweep = commands.add_parser(
        "sae-sweep", help="regenerate chapter 08's sweep of dictionary sizes"
    )
    sae_sweep.set_defaults(run=cmd_sae_sweep)

    train_lm = commands.add_parser(
        "train-lm", help="train the tiny language model (chapters 02, 08)"
    )
    train_lm.add_argument(
        "--out",
        type=Path,
        metavar="NPZ",
        help="where to write the weights (default: the committed artifact)",
    )
    train_lm.add_argument("--force", action="store_true", help="replace an existing file")
    train_lm.add_argument("--seed", type=int, default=0, help="initialisation and batches")
    train_lm.add_argument(
        "--scramble",
        action="store_true",
        help="train the control (default file: artifacts/tiny_lm_scrambled.npz): every planted "
        "word followed by another word's continuation",
    )
    train_lm.set_defaults(run=cmd_train_lm)

    handouts = commands.add_parser("handouts", help="printable PDFs into _build/handouts")
    handouts.add_argument(
        "chapters", nargs="*", metavar="CHAPTER", help="e.g. 03 or 03_capacity (default: all)"
    )
    handouts.add_argument(
        "--paper", choices=("a4", "us-letter"), default="a4", help="paper size (default a4)"
    )
    handouts.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write (default _build/handouts)"
    )
    handouts.add_argument("--force", action="store_true", help="replace existing handouts")
    handouts.add_argument("--root", help="the course folder (default: found from here)")
    handouts.set_defaults(run=cmd_handouts)

    pdf = commands.add_parser("pdf", help="the built book as one PDF (after `polysemantic book`)")
    pdf.add_argument(
        "--paper", choices=("a4", "us-letter"), default="a4", help="paper size (default a4)"
    )
    pdf.add_argument(
        "--html", type=Path, metavar="DIR", help="the built book (default _build/html)"
    )
    pdf.add_argument(
        "--out", type=Path, metavar="PDF", help="where to write (default DIR/polysemantic.pdf)"
    )
    pdf.add_argument("--root", help="the course folder (default: found from here)")
    pdf.set_defaults(run=cmd_pdf)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `polysemantic grade x.ipynb --json | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
