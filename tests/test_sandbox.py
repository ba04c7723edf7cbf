"""The sandbox, protection by protection: each one stops an attack that succeeds without it.

tests/test_gradebook.py grades the whole hostile corpus with every protection on.
Here a few of its attacks are graded again in a sandbox that leaves one protection
out: the breach then happens (3.0 instead of 1.0, a file appears, a datagram or a
signal arrives), so it is that protection which stopped it. Below them, the parts:
Landlock's rules, the seccomp program, the plain-data payload, the worker's library.
"""

import ast
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from hostile import PACKAGE, Listeners, ensure_bytecode, open_folder, placeholders, write
from polysemantic.course import COURSE
from polysemantic.grading import landlock, payload, seccomp, worker_library
from polysemantic.grading.grade import cases_for, grade_notebook
from polysemantic.grading.sandbox import Protections, Sandbox, shared_sandbox, site_dirs
from polysemantic.grading.worker import STEPS

LINUX = sys.platform == "linux"
ROOT_USER = LINUX and os.geteuid() == 0


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    outside = open_folder(tmp_path_factory.mktemp("outside"))
    listeners = Listeners()
    ensure_bytecode()
    values = placeholders(folder, outside, folder / "grades.csv", listeners)
    yield {"folder": folder, "outside": outside, "listeners": listeners, "values": values}
    listeners.close()


def grade_attack(sandbox: Sandbox, name: str, env) -> float:
    path = write(env["folder"], name, env["values"])
    return grade_notebook(path, COURSE, sandbox=sandbox, timeout=20).total


def without(*steps: str) -> Sandbox:
    """A sandbox with every protection this machine grants but `steps`."""
    return Sandbox(COURSE.all(), protections=[s for s in STEPS if s not in steps])


def full() -> Protections:
    return shared_sandbox(COURSE.all()).protections


@pytest.mark.skipif(not LINUX or landlock.abi_version() < 6, reason="needs Landlock ABI 6")
def test_without_landlock_files_source_and_signals_are_open(env):
    assert full().landlock_abi >= 6
    with without("landlock") as sandbox:
        assert sandbox.protections.landlock_abi == 0
        assert "Landlock (files and TCP)" in sandbox.protections.missing
        assert grade_attack(sandbox, "reads_reference_source", env) == 3.0
        assert grade_attack(sandbox, "reads_bytecode", env) == 3.0
        assert grade_attack(sandbox, "reads_solutions", env) == 3.0
        assert grade_attack(sandbox, "writes_outside", env) == 3.0
        assert (env["outside"] / "written").exists()
        before = env["listeners"].signals
        assert grade_attack(sandbox, "signals_the_grader", env) == 3.0
        time.sleep(0.5)
        assert env["listeners"].signals > before  # one per case
        # the network namespace alone still keeps TCP in
        assert grade_attack(sandbox, "tcp_connect", env) == 1.0


@pytest.mark.skipif(not LINUX, reason="network namespaces are Linux's")
def test_without_a_network_namespace_udp_leaves(env):
    if not full().network_namespace:
        pytest.skip("this machine grants no network namespace")
    with without("network namespace") as sandbox:
        assert not sandbox.protections.network_namespace
        assert grade_attack(sandbox, "udp_send", env) == 3.0
        time.sleep(0.5)
        assert "udp" in env["listeners"].reached
        env["listeners"].reached.remove("udp")
        if sandbox.protections.landlock_abi >= 4:  # Landlock alone still refuses TCP
            assert grade_attack(sandbox, "tcp_connect", env) == 1.0


@pytest.mark.skipif(not seccomp.supported(), reason="the filter is for x86-64 Linux")
def test_without_seccomp_processes_and_modes_are_open(env):
    if not ROOT_USER:
        pytest.skip("as another user RLIMIT_NPROC and file ownership also stop these")
    with without("seccomp") as sandbox:
        assert not sandbox.protections.seccomp
        assert grade_attack(sandbox, "ctypes_fork", env) == 3.0
        victim = env["outside"] / "victim.txt"
        victim.chmod(0o666)
        assert grade_attack(sandbox, "chmod_outside", env) == 3.0
        assert victim.stat().st_mode & 0o777 == 0o777
        victim.chmod(0o666)


@pytest.mark.skipif(not ROOT_USER, reason="root's powers only matter when grading as root")
def test_without_a_user_namespace_root_takes_the_cpu(env):
    if full().identity != "root without privileges (user namespace)":
        pytest.skip("submissions run as nobody here")
    with without("user namespace") as sandbox:
        assert sandbox.protections.identity == "root"
        assert "dropping root" in sandbox.protections.missing
        assert grade_attack(sandbox, "takes_realtime_priority", env) == 3.0


def test_with_the_references_in_the_library_calling_one_scores(env):
    with Sandbox([]) as sandbox:  # a copy of the library that keeps every reference
        assert grade_attack(sandbox, "calls_reference", env) == 3.0
        assert grade_attack(sandbox, "default_argument_reference", env) == 3.0
    assert grade_attack(shared_sandbox(COURSE.all()), "calls_reference", env) == 1.0


@pytest.mark.skipif(not LINUX, reason="prctl is Linux's")
def test_no_new_privs_is_set_in_the_worker(tmp_path):
    probe = (
        "def reconstruction_loss(x, x_hat):\n"
        "    import ctypes, torch\n"
        "    return torch.tensor(float(ctypes.CDLL(None).prctl(39, 0, 0, 0, 0)))\n"
    )  # 39: PR_GET_NO_NEW_PRIVS
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    nb.metadata["polysemantic"] = {"chapter": "01"}
    nbformat.write(nb, tmp_path / "probe_01.ipynb")

    def flag(sandbox: Sandbox) -> str:
        result = grade_notebook(tmp_path / "probe_01.ipynb", COURSE, sandbox=sandbox)
        return result.questions["01.reconstruction_loss"].cases[0].message

    assert full().no_new_privs
    assert "got 1" in flag(shared_sandbox(COURSE.all()))
    with Sandbox(COURSE.all(), protections=[]) as bare:
        assert "got 0" in flag(bare)
        assert bare.protections.summary().count("WEAKER") == 1


# ------------------------------------------------------------------------------ the parts


def test_protections_report_says_what_is_missing():
    weak = Protections("linux", 0, False, False, False, "root")
    assert weak.missing == [
        "Landlock (files and TCP)",
        "network namespace",
        "no_new_privs",
        "seccomp",
        "dropping root",
    ]
    assert "WEAKER: no Landlock" in weak.summary()
    strong = Protections("linux", 7, True, True, True, "nobody", 120, 4 * 1024**3)
    assert strong.missing == [] and "WEAKER" not in strong.summary()
    assert "limits 120 s, 4 GiB" in strong.summary()
    assert Protections("linux", 3, True, True, True, "nobody").missing == [
        "Landlock TCP rules (ABI 3 < 4)"
    ]


def test_read_rules_open_a_folder_around_what_is_hidden(tmp_path):
    (tmp_path / "site" / "torch").mkdir(parents=True)
    (tmp_path / "site" / "polysemantic").mkdir()
    (tmp_path / "site" / "polysemantic" / "monosemanticity.py").write_text("secret")
    (tmp_path / "site" / "loose.pth").write_text("")
    (tmp_path / "site" / "sneaky").symlink_to(tmp_path / "site" / "polysemantic")
    rules = dict(landlock.read_rules([tmp_path / "site"], [tmp_path / "site" / "polysemantic"]))
    site = (tmp_path / "site").resolve()
    assert rules[site] == landlock.READ_DIR  # its listing, not its files
    assert rules[site / "torch"] == landlock.READ and rules[site / "loose.pth"] == landlock.READ
    assert site / "polysemantic" not in rules  # nor through the symbolic link
    assert not any("polysemantic" in str(path) for path in rules)
    inside = landlock.read_rules([site / "polysemantic"], [site / "polysemantic"])
    assert inside == []


def test_seccomp_program_jumps_stay_inside_it():
    program = seccomp.program()
    assert len(program) < 4096
    for position, (code, jt, jf, _) in enumerate(program):
        if code in (seccomp.JEQ_K, seccomp.JGE_K, seccomp.JSET_K):
            assert 0 <= jt and 0 <= jf and position + 1 + max(jt, jf) < len(program)
    assert program[-2][3] == seccomp.RET_ALLOW and program[-1][3] & 0xFFFF0000 == seccomp.RET_ERRNO


def test_payload_is_plain_data_and_round_trips():
    arrays: dict[str, np.ndarray] = {}
    inputs = {
        "W": torch.randn(3, 4),
        "ids": torch.tensor([1, 2], dtype=torch.int64),
        "bytes": torch.tensor([3], dtype=torch.uint8),
        "n": 3,
        "p": 0.5,
        "name": "x",
    }
    specs = payload.encode(inputs, arrays)
    json.dumps(specs)  # specs are JSON
    back = payload.decode(specs, arrays)
    for key, value in inputs.items():
        if isinstance(value, torch.Tensor):
            assert back[key].dtype == value.dtype and torch.equal(back[key], value)
        else:
            assert back[key] == value and type(back[key]) is type(value)
    with pytest.raises(payload.NotPlainData):
        payload.encode({"f": lambda: 0}, {})


def test_npz_with_a_pickled_object_is_refused(tmp_path):
    path = tmp_path / "inputs.npz"
    np.savez(path, a=np.array([{"code": "print"}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        payload.load_arrays(str(path))


def test_every_case_of_the_course_is_plain_data():
    for question in COURSE.all():
        arrays: dict[str, np.ndarray] = {}
        for case in cases_for(question, 0):
            payload.encode(case.inputs, arrays)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return worker_library.build(COURSE.all(), tmp_path_factory.mktemp("library"))


def test_the_worker_library_leaves_out_questions_and_references(library):
    package = library / "polysemantic"
    assert not (package / "course.py").exists() and not (package / "questions").exists()
    assert sorted(p.name for p in (package / "grading").iterdir()) == sorted(
        ["__init__.py", *worker_library.SANDBOX_MODULES]
    )
    for module, names in worker_library.references(COURSE.all()).items():
        path = package.joinpath(*module.split(".")[1:]).with_suffix(".py")
        if module.startswith("polysemantic.questions."):  # kept beside its question: left out
            assert not path.exists()
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        for name in names:
            body = functions[name].body
            assert len(body) == 1 and isinstance(body[0], ast.Raise), (module, name)


def test_the_worker_library_imports_whole(library):
    """Every module of the copy imports, in a Python that sees only the copy."""
    probe = (
        "import sys, pathlib, importlib\n"
        "root = pathlib.Path(sys.argv[1]) / 'polysemantic'\n"
        "for p in sorted(root.rglob('*.py')):\n"
        "    parts = p.relative_to(root.parent).with_suffix('').parts\n"
        "    importlib.import_module('.'.join(parts[:-1] if parts[-1] == '__init__' else parts))\n"
        "import polysemantic\n"
        "assert polysemantic.__file__.startswith(sys.argv[1])\n"
        "from polysemantic import check, figures, needs_answer, score\n"
        "with needs_answer('01.x'):\n"
        "    raise NotImplementedError\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path[:0] = [sys.argv[1], *sys.argv[2:]]; exec(" + repr(probe) + ")",
            str(library),
            *site_dirs(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


AUDIT = """
import inspect, json, signal, sys, importlib, pathlib, resource
resource.setrlimit(resource.RLIMIT_AS, (12 * 1024**3,) * 2)  # a huge product fails, not the test
import numpy as np, torch
from polysemantic.grading import payload
from polysemantic.grading.compare import to_array
root = pathlib.Path(sys.argv[1]) / 'polysemantic'
job = json.load(open(sys.argv[2]))
arrays = payload.load_arrays(sys.argv[3])
functions = []
for p in sorted(root.rglob('*.py')):
    parts = p.relative_to(root.parent).with_suffix('').parts
    name = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
    if name.startswith('polysemantic.grading'):
        continue
    module = importlib.import_module(name)
    for attr, f in vars(module).items():
        if inspect.isfunction(f) and f.__module__ == name:
            functions.append((f'{name}.{attr}', f))
# what draws or shows (figures, the viewer, progress bars) computes no number to compose
DRAWS = ('polysemantic.figures', 'polysemantic.viewer', 'polysemantic.lab', 'polysemantic.progress')
numeric = [(label, f) for label, f in functions if not label.startswith(DRAWS)]
def alarm(*a):
    raise TimeoutError
signal.signal(signal.SIGALRM, alarm)

def small(value):
    # an array small enough to keep (and compose), or not an array at all
    if isinstance(value, torch.Tensor):
        return value.numel() <= 10**5
    return isinstance(value, np.ndarray) and value.size <= 10**5

def timed(run, seconds):
    signal.alarm(seconds)
    try:
        return run()
    finally:
        signal.alarm(0)

unfed = {}  # f -> (seconds, value or error) for a call given none of the inputs

def call(f, inputs, first=None, seconds=2):
    # f on the inputs by name (or by position), after `first` when there is one
    signature = inspect.signature(f)
    args = [] if first is None else [first]
    names = [n for n in signature.parameters if n in inputs]
    try:
        signature.bind(*args, **{n: inputs[n] for n in names})
        run = lambda: f(*args, **{n: inputs[n] for n in names})
    except TypeError:
        signature.bind(*args, *inputs.values())
        run = lambda: f(*args, *inputs.values())
        names = list(inputs)
    if args or names:
        return timed(run, seconds)
    # given nothing, f answers the same for every question: call it once per budget
    if f not in unfed or unfed[f][0] < seconds and isinstance(unfed[f][1], TimeoutError):
        try:
            unfed[f] = (seconds, timed(run, seconds))
        except BaseException as error:
            unfed[f] = (seconds, error)
    if isinstance(unfed[f][1], BaseException):
        raise unfed[f][1]
    return unfed[f][1]

def numbers(value):
    # the value as numbers, and each numeric attribute of an object (a result's .score)
    out = []

    def kept(array):
        if array.size > 10**5:  # larger than any answer: not one
            raise ValueError
        return array.tolist()

    try:
        out.append(('', kept(to_array(value))))
    except BaseException:
        for attr in dir(value):
            if attr.startswith('_'):
                continue
            try:
                out.append(('.' + attr, kept(to_array(getattr(value, attr)))))
            except BaseException:
                pass
    return out

out = {}
for question in job:
    seconds = question['seconds']
    cases = [payload.decode(c, arrays) for c in question['cases']]
    found = {}  # label -> [numbers per case]
    raw = {}  # label -> [value per case], to compose
    for label, f in functions:
        values = []
        for inputs in cases:
            try:
                values.append(call(f, inputs, seconds=seconds))
            except BaseException:
                break
        if len(values) == len(cases):
            if all(small(v) for v in values):
                raw[label] = values
            sized = all(small(v) or not hasattr(v, 'shape') for v in values)
            per_case = [dict(numbers(v)) for v in values] if sized else []
            for attr in set.intersection(*(set(c) for c in per_case)) if per_case else ():
                found[label + attr] = [c[attr] for c in per_case]
    near = tuple(question['modules'])  # compose within the chapter and its substrates
    for first, values in list(raw.items()):  # compose: g(f(inputs), the other inputs)
        if not first.startswith(near):
            continue
        for label, g in numeric:
            if not label.startswith(near):
                continue
            composed = []
            for value, inputs in zip(values, cases):
                try:
                    composed.append(call(g, inputs, first=value, seconds=2))
                except BaseException:
                    break
            sized = all(small(v) or not hasattr(v, 'shape') for v in composed)
            if len(composed) == len(cases) and sized:
                per_case = [dict(numbers(v)) for v in composed]
                for attr in set.intersection(*(set(c) for c in per_case)):
                    found[f'{label}({first}){attr}'] = [c[attr] for c in per_case]
    out[question['id']] = found
print(json.dumps(out))
"""


def _near(question) -> list[str]:
    """The library modules a question's answer could be composed from: its chapter's
    reference module and the substrates the chapters share."""
    from polysemantic import course

    stem = course.CHAPTERS[int(question.chapter) - 1].__name__.rsplit(".", 1)[1]
    return (
        [f"polysemantic.{stem}.", "polysemantic.data.", "polysemantic.toy_training."]
        + (["polysemantic.superposition_sweeps."] if stem == "superposition" else [])
        + (
            ["polysemantic.language_model."]
            if stem in ("polysemanticity", "sparse_autoencoders")
            else []
        )
    )


def test_no_function_of_the_worker_library_computes_a_graded_answer(library, tmp_path):
    """Call every function of the worker's library that accepts a question's inputs (by
    name or by position) on its public cases, then every function on what each of
    those returned (with the other inputs by name), and read every numeric attribute
    of what comes back: none may pass the question, judged as the grader judges."""
    from polysemantic.grading.judge import Outcome, judge
    from polysemantic.grading.results import Status

    arrays: dict[str, np.ndarray] = {}
    job = [
        {
            "id": q.id,
            "cases": [payload.encode(c.inputs, arrays) for c in q.public_cases()],
            "seconds": 30 if q.outcome is not None and q.time_limit else 2,
            "modules": _near(q),
        }
        for q in COURSE.all()
        if q.public_cases() and any(c.inputs for c in q.public_cases())
    ]
    (tmp_path / "job.json").write_text(json.dumps(job))
    (tmp_path / "inputs.npz").write_bytes(payload.npz_bytes(arrays))
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path[:0] = [sys.argv[1], *sys.argv[4:]]; exec(" + repr(AUDIT) + ")",
            str(library),
            str(tmp_path / "job.json"),
            str(tmp_path / "inputs.npz"),
            *site_dirs(),
        ],
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
        env={"OMP_NUM_THREADS": "1", "POLYSEMANTIC_PROGRESS": "0"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    called = json.loads(run.stdout.strip().splitlines()[-1])
    assert sum(len(found) for found in called.values()) > 100, "the audit called too little"
    matches = []
    for question in COURSE.all():
        cases = question.public_cases()
        for label, outputs in called.get(question.id, {}).items():
            verdicts = [
                judge(question, case, Outcome(value=np.asarray(o, dtype=np.float64)))
                for case, o in zip(cases, outputs, strict=True)
            ]
            if all(v.status == Status.PASSED for v in verdicts):
                matches.append((question.id, label))
    assert matches == []


def test_the_real_package_is_hidden_wherever_it_is_installed(tmp_path):
    from polysemantic.grading.sandbox import hidden_packages

    site = tmp_path / "site-packages"
    (site / "polysemantic").mkdir(parents=True)
    hidden = hidden_packages([str(site)])
    assert str(PACKAGE.resolve()) in hidden and str((site / "polysemantic").resolve()) in hidden


def test_a_protection_that_fails_stops_the_child_before_any_code(tmp_path):
    """Never weaker than reported: a step the grader asked for that fails ends the
    child before any code, says so on its pipe, and the submission is a grader error."""
    from polysemantic.grading.sandbox import _answer
    from polysemantic.grading.worker import EXIT_SANDBOX

    request = {"protections": ["landlock"], "landlock_abi": 0, "scratch": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys\n"
            "from polysemantic.grading.worker import confine\n"
            "confine(json.loads(sys.argv[1]), [], strict=True, report=1)\n"
            "print('the submission would run now')",
            json.dumps(request),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == EXIT_SANDBOX + STEPS.index("landlock")
    assert "would run" not in run.stdout
    failure = _answer({"exit": run.returncode, "result": run.stdout}, 10)
    assert failure.status.value == "error" and "could not set up its landlock" in failure.detail


def test_an_exit_code_after_the_handshake_is_the_submissions():
    """The sandbox's own exit code, or its failure line, from a confined child is a
    crash of the submission's, never a grader error; before the handshake, any end is."""
    from polysemantic.grading.sandbox import _answer
    from polysemantic.grading.worker import EXIT_SANDBOX

    confined = json.dumps({"confined": True}) + "\n"
    forged = json.dumps({"sandbox_failed": "landlock"}) + "\n"
    for result in (confined, confined + forged, confined + forged + forged):
        failure = _answer({"exit": EXIT_SANDBOX + 4, "result": result}, 10)
        assert failure.status.value == "crash", (result, failure)
    early = _answer({"exit": EXIT_SANDBOX + 4, "result": ""}, 10)
    assert early.status.value == "error" and "before it was confined" in early.detail
    timed_out = _answer({"exit": -9, "timed_out": True, "result": confined}, 10)
    assert timed_out.status.value == "timeout"
    too_big = _answer({"exit": -9, "too_large": True, "result": confined}, 10)
    assert too_big.status.value == "crash" and "more than the grader reads" in too_big.detail
    part = json.dumps({"outcomes": [], "notes": [], "missing": []})
    answer = _answer({"exit": 0, "result": confined + part + "\n" + part + "\n"}, 10)
    assert isinstance(answer, dict) and set(answer) == {"public", "hidden"}
