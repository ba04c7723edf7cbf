"""The hostile corpus: chapter 01 notebooks written the way a determined student would.

Every attack sits in `response_matrix` (2 points) next to a correct
`reconstruction_loss` (1 point), so a row shows both that the attack was contained
and that the rest of the submission was still graded. Most attacks return the right
answer only when their breach worked: contained, the row is 1.0; breached, 3.0.
Placeholders @@NAME@@ are filled with the test's paths, ports and process id
(`fill`); tests/test_gradebook.py grades the whole corpus, tests/test_sandbox.py
grades some attacks with one protection left out, to show that it is that
protection which stops them.

    name -> (cells, expected total, expected status)
"""

from __future__ import annotations

import os
import py_compile
import signal
import socket
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "polysemantic"

GOOD_LOSS = "def reconstruction_loss(x, x_hat):\n    return ((x - x_hat) ** 2).sum(-1).mean()\n"
GOOD_RESPONSE = "import torch\ndef response_matrix(W, b):\n    return torch.relu(W + b[:, None])\n"
CORRECT = "torch.relu(W + b[:, None])"


def attack(body: str) -> str:
    """A response_matrix whose body is the attack (indented)."""
    lines = "\n".join("    " + line for line in body.splitlines())
    return (
        "import os, sys, shutil, socket, torch, numpy\ndef response_matrix(W, b):\n" + lines + "\n"
    )


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["polysemantic"] = {"chapter": "01"}
    return nb


def fill(source: str, values: dict[str, object]) -> str:
    for name, value in values.items():
        source = source.replace(f"@@{name}@@", repr(value))
    return source


def write(folder: Path, name: str, values: dict[str, object]) -> Path:
    cells, _, _ = CORPUS[name]
    path = folder / f"{name}_01.ipynb"
    nbformat.write(notebook(*[fill(c, values) for c in cells]), path)
    return path


def contained(body: str, *more: str) -> tuple[list[str], float, str]:
    """An attack whose breach would earn 3.0; contained it earns the loss's 1.0."""
    return ([attack(body), GOOD_LOSS, *more], 1.0, "graded")


# Routes to the reference implementation, from inside the worker's memory or disk.
REFERENCE_ROUTES = {
    "calls_reference": contained(
        "from polysemantic.monosemanticity import response_matrix as r\nreturn r(W, b)"
    ),
    "reloads_reference": contained(
        "import importlib, polysemantic.monosemanticity as m\n"
        "m = importlib.reload(m)\nreturn m.response_matrix(W, b)"
    ),
    "reimports_reference": contained(
        "for name in [k for k in sys.modules if 'polysemantic' in k]:\n"
        "    del sys.modules[name]\n"
        "from polysemantic.monosemanticity import response_matrix\n"
        "return response_matrix(W, b)"
    ),
    "question_bank": contained(
        "from polysemantic.course import COURSE\n"
        "return COURSE.get('01.response_matrix').reference(W, b)"
    ),
    "questions_module": contained(
        "import polysemantic.questions.monosemanticity as q\nreturn q.QUESTIONS[0].reference(W, b)"
    ),
    "gc_walk": contained(
        "import gc\n"
        "for o in gc.get_objects():\n"
        "    try:\n"
        "        ref = getattr(o, 'reference', None)\n"
        "        named = getattr(o, '__name__', '') == 'response_matrix'\n"
        "        home = str(getattr(o, '__module__', ''))\n"
        "    except Exception:\n"
        "        continue\n"
        "    for f in ([ref] if callable(ref) else []) + "
        "([o] if named and home.startswith('polysemantic') else []):\n"
        "        try:\n"
        "            answer = f(W, b)\n"
        "        except Exception:\n"
        "            continue\n"
        "        if isinstance(answer, torch.Tensor):\n"
        "            return answer\n"
        "return torch.zeros_like(W)"
    ),
    "frame_walk": contained(
        "f = sys._getframe()\n"
        "while f is not None:\n"
        "    for v in list(f.f_locals.values()) + list(f.f_globals.values()):\n"
        "        for get in (lambda v: v.reference, "
        "lambda v: v.get('01.response_matrix').reference):\n"
        "            try:\n"
        "                return get(v)(W, b)\n"
        "            except Exception:\n"
        "                pass\n"
        "    f = f.f_back\n"
        "return torch.zeros_like(W)"
    ),
    "closure_walk": contained(
        "import polysemantic.monosemanticity as m\n"
        "todo, seen = [m.response_matrix], set()\n"
        "while todo:\n"
        "    o = todo.pop()\n"
        "    if id(o) in seen:\n"
        "        continue\n"
        "    seen.add(id(o))\n"
        "    try:\n"
        "        return o.reference(W, b)\n"
        "    except Exception:\n"
        "        pass\n"
        "    for cell in getattr(o, '__closure__', None) or ():\n"
        "        todo.append(cell.cell_contents)\n"
        "    todo.append(getattr(o, '__wrapped__', None))\n"
        "    todo += list(getattr(o, '__defaults__', None) or ())\n"
        "    todo = [t for t in todo if t is not None]\n"
        "return torch.zeros_like(W)"
    ),
    "reads_library_copy": contained(
        # the worker's copy is readable, and holds no answer: its function only raises
        "import inspect, polysemantic.monosemanticity as m\n"
        "ns = dict(vars(m))\n"
        "exec(inspect.getsource(m.response_matrix), ns)\n"
        "return ns['response_matrix'](W, b)"
    ),
    "reads_reference_source": contained(
        "ns = {}\nexec(open(@@REAL_MODULE@@).read(), ns)\nreturn ns['response_matrix'](W, b)"
    ),
    "real_package_on_path": contained(
        "sys.path.insert(0, @@REAL_SRC@@)\n"
        "for name in [k for k in sys.modules if k.startswith('polysemantic')]:\n"
        "    del sys.modules[name]\n"
        "import polysemantic.monosemanticity as m\n"
        "return m.response_matrix(W, b)"
    ),
    "loads_real_file": contained(
        "import importlib.util\n"
        "spec = importlib.util.spec_from_file_location('stolen', @@REAL_MODULE@@)\n"
        "m = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\n"
        "return m.response_matrix(W, b)"
    ),
    "reads_bytecode": contained(
        "import glob, marshal\n"
        "for p in glob.glob(@@REAL_PYC@@):\n"
        "    ns = {}\n"
        "    exec(marshal.loads(open(p, 'rb').read()[16:]), ns)\n"
        "    return ns['response_matrix'](W, b)\n"
        "raise RuntimeError('no bytecode found')"
    ),
    "reads_solutions": contained(
        "import ast, json\n"
        "for cell in json.load(open(@@SOLUTION@@))['cells']:\n"
        "    try:\n"
        "        body = ast.parse(''.join(cell['source'])).body\n"
        "    except SyntaxError:\n"
        "        continue\n"
        "    for node in body:\n"
        "        if isinstance(node, ast.FunctionDef) and node.name == 'response_matrix':\n"
        "            ns = {'torch': torch}\n"
        "            exec(compile(ast.Module([node], []), 'stolen', 'exec'), ns)\n"
        "            return ns['response_matrix'](W, b)\n"
        "raise RuntimeError('no solution found')"
    ),
    "reads_other_submissions": contained(
        # another student's job or result, in the grader's scratch folder
        "import glob, json\n"
        "for p in glob.glob('../*/job.json') + glob.glob('/tmp/polysemantic-grade-*/*/job.json'):\n"
        "    if os.path.samefile(p, 'job.json'):\n"
        "        continue\n"
        "    code = json.load(open(p))['code']\n"
        "    if 'torch.relu' in code:\n"
        "        ns = {}\n"
        "        exec(code, ns)\n"
        "        return ns['response_matrix'](W, b)\n"
        "raise RuntimeError('no other submission found')"
    ),
    "job_holds_no_question": contained(
        # its own job is readable: it holds definitions and inputs, no question or seed
        "import json\n"
        "job = json.load(open('job.json'))\n"
        "job.pop('code')\n"
        "text = json.dumps(job)\n"
        "if any(k in text for k in ('reference', 'seed', 'course', 'mistake')):\n"
        f"    return {CORRECT}\n"
        "raise RuntimeError('nothing to steal')"
    ),
    "reads_grader_memory": contained(
        "for pid in (@@GRADER_PID@@, os.getppid()):\n"
        "    for name in ('mem', 'environ', 'cmdline'):\n"
        "        try:\n"
        "            open(f'/proc/{pid}/{name}', 'rb').read(1)\n"
        f"            return {CORRECT}\n"
        "        except OSError:\n"
        "            pass\n"
        "raise RuntimeError('no memory to read')"
    ),
    "reads_home": contained(f"os.listdir('/root')\nreturn {CORRECT}"),
    "reads_etc_passwd": contained(f"open('/etc/passwd').read()\nreturn {CORRECT}"),
}

# Files outside the scratch folder: writes, links, renames, modes, truncation.
FILE_ATTACKS = {
    "writes_output": contained(f"open(@@OUT@@, 'w').write('hacked')\nreturn {CORRECT}"),
    "writes_outside": contained(
        f"open(@@OUTSIDE@@ + '/written', 'w').write('x')\nreturn {CORRECT}"
    ),
    "writes_root_home": contained(f"open('/root/' + @@MARK@@, 'w').write('x')\nreturn {CORRECT}"),
    "writes_tmp": contained(f"open('/tmp/' + @@MARK@@, 'w').write('x')\nreturn {CORRECT}"),
    "symlink_escape": contained(
        "os.symlink(@@OUTSIDE@@, 'link')\n"
        f"open('link/through_link', 'w').write('x')\nreturn {CORRECT}"
    ),
    "rename_escape": contained(
        "open('mine', 'w').write('x')\n"
        f"os.rename('mine', @@OUTSIDE@@ + '/renamed')\nreturn {CORRECT}"
    ),
    "hardlink_escape": contained(
        "open('mine', 'w').write('x')\n"
        f"os.link('mine', @@OUTSIDE@@ + '/hardlink')\nreturn {CORRECT}"
    ),
    "chown_outside": contained(f"os.chown(@@VICTIM@@, 65534, 65534)\nreturn {CORRECT}"),
    "touch_outside": contained(f"os.utime(@@VICTIM@@, (0, 0))\nreturn {CORRECT}"),
    "xattr_outside": contained(f"os.setxattr(@@VICTIM@@, 'user.mark', b'1')\nreturn {CORRECT}"),
    "chmod_outside": contained(f"os.chmod(@@VICTIM@@, 0o777)\nreturn {CORRECT}"),
    "truncate_outside": contained(f"os.truncate(@@VICTIM@@, 0)\nreturn {CORRECT}"),
    "deletes_files": (
        [
            attack(
                "shutil.rmtree(@@SUBMISSIONS@@, ignore_errors=True)\n"
                "return torch.relu(W + b[:, None])"
            ),
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
}

# Processes and signals.
PROCESS_ATTACKS = {
    "infinite_loop": ([attack("while True:\n    pass"), GOOD_LOSS], 0.0, "timeout"),
    "memory_bomb": ([attack("x = bytearray(50 * 1024**3)\nreturn x"), GOOD_LOSS], 1.0, "graded"),
    "fork_bomb": ([attack("while True:\n    os.fork()"), GOOD_LOSS], 1.0, "graded"),
    "ctypes_fork": contained(
        "import ctypes\nlibc = ctypes.CDLL(None)\npid = libc.fork()\n"
        "if pid == 0:\n    libc._exit(0)\n"
        f"if pid > 0:\n    return {CORRECT}\n"
        "raise OSError('fork refused')"
    ),
    "ctypes_exec": contained(
        "import ctypes\nlibc = ctypes.CDLL(None)\n"
        "argv = (ctypes.c_char_p * 2)(b'/bin/true', None)\n"
        "libc.execv(b'/bin/true', argv)\n"
        "raise OSError('exec refused')"
    ),
    "ptrace_the_worker": contained(
        "import ctypes\n"
        "if ctypes.CDLL(None).ptrace(16, os.getppid(), 0, 0) == 0:\n"  # PTRACE_ATTACH
        f"    return {CORRECT}\n"
        "raise OSError('ptrace refused')"
    ),
    "file_bomb": contained(
        "with open('big', 'wb') as f:\n"
        "    for _ in range(100):\n"
        "        f.write(b'x' * 1024**2)\n"
        f"if os.path.getsize('big') >= 100 * 1024**2:\n    return {CORRECT}\n"
        "raise OSError('too small')"
    ),
    "signals_the_grader": contained(
        f"import signal\nos.kill(@@GRADER_PID@@, signal.SIGUSR1)\nreturn {CORRECT}"
    ),
    "kills_the_worker": contained(
        f"import signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn {CORRECT}"
    ),
    "takes_realtime_priority": contained(
        # root may starve the machine: a real-time scheduling class, the highest priority
        "os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))\n"
        "os.setpriority(os.PRIO_PROCESS, 0, -20)\n"
        f"return {CORRECT}"
    ),
    "raises_own_limits": contained(
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)\n"
        f"return {CORRECT}"
    ),
    "sys_exit": ([attack("sys.exit(0)"), GOOD_LOSS], 1.0, "graded"),
    "os_exit": ([attack("os._exit(0)"), GOOD_LOSS], 0.0, "crash"),
    "keyboard_interrupt": ([attack("raise KeyboardInterrupt"), GOOD_LOSS], 1.0, "graded"),
    "system_exit_top_level": (["raise SystemExit(1)", GOOD_LOSS], 1.0, "graded"),
    "output_flood": (
        [
            attack(
                "for _ in range(10):\n    sys.stdout.write('x' * 10**8)\n"
                "os.write(1, b'y' * 10**7)\nreturn torch.relu(W + b[:, None])"
            ),
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
}

# The network.
NETWORK_ATTACKS = {
    "tcp_connect": contained(
        f"socket.create_connection(('127.0.0.1', @@TCP_PORT@@), timeout=5).sendall(b'x')\n"
        f"return {CORRECT}"
    ),
    "tcp_bind": contained(
        f"s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\nreturn {CORRECT}"
    ),
    "udp_send": contained(
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"s.sendto(b'x', ('127.0.0.1', @@UDP_PORT@@))\nreturn {CORRECT}"
    ),
    "unix_socket": contained(
        "s = socket.socket(socket.AF_UNIX)\ns.connect(@@ABSTRACT@@)\ns.sendall(b'x')\n"
        f"return {CORRECT}"
    ),
    "external_connect": contained(
        f"socket.create_connection(('1.1.1.1', 80), timeout=5)\nreturn {CORRECT}"
    ),
}

# Code that runs when the definitions run: decorators, default arguments, class bodies.
DEFINITION_TIME = {
    "decorator_writes": (
        [
            "import torch\n"
            "def steal(f):\n"
            "    try:\n"
            "        open(@@OUTSIDE@@ + '/decorator', 'w').write('x')\n"
            "    except OSError:\n"
            "        return f\n"
            f"    return lambda W, b: {CORRECT}\n"
            "@steal\n"
            "def response_matrix(W, b):\n"
            "    return W\n",
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "decorator_connects": (
        [
            "import socket, torch\n"
            "def phone_home(f):\n"
            "    try:\n"
            "        socket.create_connection(('127.0.0.1', @@TCP_PORT@@), timeout=5)\n"
            "    except OSError:\n"
            "        return f\n"
            f"    return lambda W, b: {CORRECT}\n"
            "@phone_home\n"
            "def response_matrix(W, b):\n"
            "    return W\n",
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "default_argument_reference": (
        [
            "import polysemantic.monosemanticity as m\n"
            "def response_matrix(W, b, _ref=m.response_matrix):\n"
            "    return _ref(W, b)\n",
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "default_argument_reads_source": (
        [
            "def response_matrix(W, b, _src=open(@@REAL_MODULE@@).read()):\n"
            "    ns = {}\n    exec(_src, ns)\n    return ns['response_matrix'](W, b)\n",
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "class_body_reads_solutions": (
        [
            "import json\n"
            "class Thief:\n"
            "    cells = json.load(open(@@SOLUTION@@))['cells']\n"
            "    source = [''.join(c['source']) for c in cells if 'def response_matrix' "
            "in ''.join(c['source'])][0]\n"
            "ns = {}\n"
            "def response_matrix(W, b):\n"
            "    exec(Thief.source, ns)\n"
            "    return ns['response_matrix'](W, b)\n",
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "class_body_spins": (
        ["class Spin:\n    while True:\n        pass\n", GOOD_LOSS],
        0.0,
        "timeout",
    ),
}

# The grader's own parts: its judge, the result file, the parser.
GRADER_ATTACKS = {
    "monkeypatch": contained(
        "import polysemantic.grading.judge as judge\n"
        "import polysemantic.grading.compare as compare\n"
        "numpy.allclose = numpy.isclose = lambda *a, **k: True\n"
        "torch.allclose = torch.equal = lambda *a, **k: True\n"
        "judge.judge = lambda *a, **k: None\ncompare.compare = lambda *a, **k: None\n"
        "return torch.zeros_like(W)"
    ),
    "liar": contained(
        "class Liar:\n    def __eq__(self, other):\n        return True\n"
        "    def __array__(self, *a, **k):\n        raise TypeError\n"
        "return Liar()"
    ),
    "forges_result": (
        [
            attack(
                "import json\n"
                "fake = {'outcomes': [{'shape': [], 'data': [0.0]}] * 3}\n"
                "json.dump({'answers': {'01.reconstruction_loss': fake}, 'notes': []}, "
                "open('result.json', 'w'))\n"
                "os._exit(0)"
            ),
            GOOD_LOSS,
        ],
        0.0,
        "crash",  # results come over a pipe: the file is never read, and no answer came
    ),
    "inherited_descriptors": contained(
        # a pipe to the grader or a file the worker had open would bypass Landlock; the
        # one write-only pipe is the child's own result pipe, to the worker
        "import stat, fcntl\n"
        "pipes = 0\n"
        "for fd in range(256):\n"
        "    try:\n"
        "        mode = os.fstat(fd).st_mode\n"
        "    except OSError:\n"
        "        continue\n"
        "    if stat.S_ISCHR(mode):\n"
        "        continue\n"
        "    write_only = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY\n"
        "    if stat.S_ISFIFO(mode) and write_only and pipes == 0:\n"
        "        pipes += 1\n"
        "        continue\n"
        f"    return {CORRECT}\n"
        "raise RuntimeError('only /dev/null and the result pipe are open')"
    ),
    "echoes_hidden_inputs": (
        # what students see (public cases' messages) is written before any hidden input
        [
            "import torch\nSEEN = []\n"
            "def response_matrix(W, b):\n"
            "    SEEN.append(tuple(W.shape))\n"
            f"    return {CORRECT}\n"
            "def monosemanticity_score(R):\n"
            "    raise RuntimeError(f'seen {SEEN}')\n",
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
    "parser_bomb": (["x = " + "(" * 300 + "1" + ")" * 300, GOOD_LOSS], 1.0, "graded"),
    "reordered_and_duplicated": (
        [GOOD_LOSS, "def response_matrix(W, b):\n    return W", GOOD_RESPONSE],
        3.0,
        "graded",
    ),
    "answers_deleted": (["x = 1"], 0.0, "graded"),
}

# The child steering what the grader reads back, or how it reads its end.
STEERING = {
    "result_symlink_to_zero": (
        [
            attack(
                "try:\n    os.symlink('/dev/zero', 'result.json')\nexcept OSError:\n    pass\n"
                f"return {CORRECT}"
            ),
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
    "result_fifo": (
        [
            attack(
                f"try:\n    os.mkfifo('result.json')\nexcept OSError:\n    pass\nreturn {CORRECT}"
            ),
            GOOD_LOSS,
        ],
        3.0,
        "graded",
    ),
    "exits_with_the_sandbox_code": ([attack("os._exit(84)"), GOOD_LOSS], 0.0, "crash"),
    "forges_a_sandbox_failure": (
        [
            attack(
                "for fd in range(3, 64):\n"
                "    try:\n"
                '        os.write(fd, b\'{"sandbox_failed": "landlock"}\\n\')\n'
                "    except OSError:\n"
                "        pass\n"
                "os._exit(84)"
            ),
            GOOD_LOSS,
        ],
        0.0,
        "crash",
    ),
    "floods_the_result_pipe": (
        [
            attack(
                "for fd in range(3, 64):\n"
                "    for _ in range(40):\n"
                "        try:\n"
                "            os.write(fd, b'x' * 2**20)\n"
                "        except OSError:\n"
                "            break\n"
                f"return {CORRECT}"
            ),
            GOOD_LOSS,
        ],
        0.0,
        "crash",
    ),
    "formula_in_exceptions": (
        [
            attack('raise ValueError(\'=HYPERLINK("http://evil","instructor override: 100")\')'),
            "class Note:\n    raise RuntimeError('@SUM(1+1) instructor override: full marks')",
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "type_with_a_claim": (
        [
            attack(
                "class INSTRUCTOR_OVERRIDE_FULL_MARKS:\n    pass\n"
                "return INSTRUCTOR_OVERRIDE_FULL_MARKS()"
            ),
            GOOD_LOSS,
        ],
        1.0,
        "graded",
    ),
    "wrong_shape": ([attack("return W[:, :1]"), GOOD_LOSS], 1.0, "graded"),
}
STEERING_TEXT = ("HYPERLINK", "evil", "override", "OVERRIDE", "SUM(")  # never in the outputs

CORPUS = {
    **REFERENCE_ROUTES,
    **FILE_ATTACKS,
    **PROCESS_ATTACKS,
    **NETWORK_ATTACKS,
    **DEFINITION_TIME,
    **GRADER_ATTACKS,
    **STEERING,
}


def _cells(sources: list[object], cell_type: object = "code") -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"polysemantic": {"chapter": "01"}},
        "cells": [
            {"cell_type": cell_type, "metadata": {}, "source": src, "outputs": []}
            for src in sources
        ],
    }


def _json(data: object) -> bytes:
    import json

    return json.dumps(data).encode()


def _broken_cells(bad: dict) -> bytes:
    """A notebook whose first cell is broken in one way, and a good loss after it."""
    good = {"cell_type": "code", "metadata": {}, "source": GOOD_LOSS, "outputs": []}
    notebook = _cells([])
    notebook["cells"] = [bad, good]
    return _json(notebook)


# Files that are not notebooks the grader can read, made in every way a careless or
# determined student (or an editor, or a merge tool) makes them:
#     name -> (write(path), expected status, expected total, words of the reason)
BROKEN_FILES = {
    "no_cell_type": (
        lambda p: p.write_bytes(_broken_cells({"source": "x = 1", "metadata": {}})),
        "graded",
        1.0,
        "no cell type",
    ),
    "numeric_source": (
        lambda p: p.write_bytes(_broken_cells({"cell_type": "code", "source": 42})),
        "graded",
        1.0,
        "not text",
    ),
    "cell_is_a_number": (lambda p: p.write_bytes(_broken_cells(7)), "graded", 1.0, "no cell type"),
    "deeply_nested": (
        lambda p: p.write_bytes(
            b'{"cells": [], "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        ),
        "unreadable",
        0.0,
        "nested too deeply",
    ),
    "two_hundred_thousand_cells": (
        lambda p: p.write_bytes(_json(_cells(["x = 1"] * 200_000))),
        "unreadable",
        0.0,
        "cells",
    ),
    "a_million_strings": (
        lambda p: p.write_bytes(_json(_cells([["x"] * 1_000_000, GOOD_LOSS]))),
        "graded",
        1.0,
        "characters",
    ),
    "huge_string": (
        lambda p: p.write_bytes(_json(_cells(["#" + "x" * 19_000_000, GOOD_LOSS]))),
        "graded",
        1.0,
        "characters",
    ),
    "too_big": (
        lambda p: p.write_bytes(_json(_cells([GOOD_LOSS, "#" + "x" * 25_000_000]))),
        "unreadable",
        0.0,
        "limit",
    ),
    "many_values": (
        lambda p: p.write_bytes(_json(_cells([GOOD_LOSS]) | {"x": [0] * 4_000_000})),
        "unreadable",
        0.0,
        "JSON values",
    ),
    "binary": (lambda p: p.write_bytes(os.urandom(4096)), "unreadable", 0.0, "not"),
    "empty_file": (lambda p: p.write_bytes(b""), "unreadable", 0.0, "empty"),
    "symlink_to_zero": (lambda p: p.symlink_to("/dev/zero"), "unreadable", 0.0, "symbolic link"),
    "fifo": (lambda p: os.mkfifo(p), "unreadable", 0.0, "not a regular file"),
    "folder": (lambda p: p.mkdir(), "unreadable", 0.0, "folder"),
    "cells_not_a_list": (
        lambda p: p.write_bytes(_json({"cells": {"a": 1}, "metadata": {}})),
        "unreadable",
        0.0,
        "not a list",
    ),
    "unicode_surrogates": (
        lambda p: p.write_bytes(b'{"cells": [{"cell_type": "code", "source": "\\ud800"}]}'),
        "graded",
        0.0,
        "cannot be parsed",
    ),
}


def write_broken(folder: Path, name: str) -> Path:
    path = folder / f"{name}_01.ipynb"
    BROKEN_FILES[name][0](path)
    return path


class Listeners:
    """A TCP, a UDP and an abstract UNIX socket in the grader's process, and a signal
    handler: whatever reaches one of them came out of a sandbox."""

    def __init__(self):
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX)
        self.abstract = f"\0polysemantic-test-{os.getpid()}-{time.time_ns()}"
        self.unix.bind(self.abstract)
        self.unix.listen()
        for s in (self.tcp, self.udp, self.unix):
            s.settimeout(0.2)
        self.reached: list[str] = []
        self.signals = 0
        self._old = signal.signal(signal.SIGUSR1, self._count)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _count(self, *args):
        self.signals += 1

    def _listen(self):
        while not self._stop.is_set():
            for name, sock in (("tcp", self.tcp), ("unix", self.unix)):
                try:
                    sock.accept()[0].close()
                    self.reached.append(name)
                except OSError:
                    pass
            try:
                self.udp.recvfrom(16)
                self.reached.append("udp")
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self._thread.join()
        for s in (self.tcp, self.udp, self.unix):
            s.close()
        signal.signal(signal.SIGUSR1, self._old)


def placeholders(folder: Path, outside: Path, out: Path, listeners: Listeners) -> dict:
    return {
        "OUT": str(out),
        "SUBMISSIONS": str(folder),
        "OUTSIDE": str(outside),
        "VICTIM": str(outside / "victim.txt"),
        "MARK": f"polysemantic-attack-{os.getpid()}",
        "REAL_MODULE": str(PACKAGE / "monosemanticity.py"),
        "REAL_SRC": str(PACKAGE.parent),
        "REAL_PYC": str(PACKAGE / "__pycache__" / "monosemanticity*.pyc"),
        "SOLUTION": str(ROOT / "solutions" / "01_monosemanticity.ipynb"),
        "TCP_PORT": listeners.tcp.getsockname()[1],
        "UDP_PORT": listeners.udp.getsockname()[1],
        "ABSTRACT": listeners.abstract,
        "GRADER_PID": os.getpid(),
    }


def ensure_bytecode() -> None:
    """The real package's compiled module, for reads_bytecode to look for."""
    py_compile.compile(str(PACKAGE / "monosemanticity.py"), doraise=True)


def open_folder(path: Path) -> Path:
    """A folder anyone may write into: only the sandbox stands between it and a submission."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    victim = path / "victim.txt"
    victim.write_text("intact")
    victim.chmod(0o666)
    return path
