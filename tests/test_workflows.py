"""The GitHub workflows: valid, CI runs `make test`, and the book is published from main."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def _lint(*paths: Path) -> subprocess.CompletedProcess:
    """GitHub's workflow schema (vendored in check-jsonschema, no network)."""
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
    )


def _workflow(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_the_workflows_are_valid():
    paths = sorted(WORKFLOWS.glob("*.yml"))
    assert [p.name for p in paths] == ["book.yml", "test.yml"]
    run = _lint(*paths)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    "breakage",
    [("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"), ("steps:", "stepz:")],
    ids=["misspelt runs-on", "misspelt steps"],
)
def test_the_lint_catches_a_broken_workflow(tmp_path, breakage):
    text = (WORKFLOWS / "test.yml").read_text(encoding="utf-8")
    assert breakage[0] in text
    broken = tmp_path / "test.yml"
    broken.write_text(text.replace(breakage[0], breakage[1]))
    assert _lint(broken).returncode != 0


def test_ci_runs_make_test_on_pushes_and_pull_requests():
    workflow = _workflow("test.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    (job,) = workflow["jobs"].values()
    assert _runs(job) == ["make test"]
    assert job["env"]["POLYSEMANTIC_REQUIRE_BROWSER"] == "1"  # as .ci/run


def test_the_book_is_built_by_make_and_deployed_to_pages_from_main():
    workflow = _workflow("book.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = _runs(build)
    assert runs[0] == "make book" and runs[-1] == "make pdf"  # the PDF the book links
    assert "actions/upload-pages-artifact" in _uses(build)
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert _uses(deploy) == ["actions/deploy-pages"]


def test_the_pages_build_reads_the_solutions_setting():
    build = _workflow("book.yml")["jobs"]["build"]
    assert build["env"]["SOLUTIONS"] == "${{ vars.BOOK_SOLUTIONS || 'yes' }}"
    for value, flag in (("no", True), ("yes", False)):
        run = subprocess.run(
            ["make", "-n", "-C", str(ROOT), "book"],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "SOLUTIONS": value},
        )
        assert run.returncode == 0, run.stderr
        assert ("--without-solutions" in run.stdout) == flag


def test_a_wrong_solutions_setting_is_one_clear_line():
    run = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "book", "SOLUTIONS=maybe"], capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "SOLUTIONS must be yes or no, not 'maybe'" in run.stderr
