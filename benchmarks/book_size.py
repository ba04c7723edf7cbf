"""Print the size of every built page against the page budget (run `make book` first).

    python benchmarks/book_size.py

A chapter page carries its figures' data inline; plotly.js (shared, cached by
the browser) and MathJax are listed once, separately.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
BUDGET = 1_500_000


def main() -> None:
    if not HTML.exists():
        raise SystemExit("no _build/html: run `make book` first")
    print(f"{'page':<45} {'bytes':>10} {'budget':>8}")
    for page in sorted(HTML.rglob("*.html")):
        size = page.stat().st_size
        print(f"{str(page.relative_to(HTML)):<45} {size:>10,} {size / BUDGET:>7.1%}")
    static = HTML / "_static"
    shared = {
        "plotly.min.js": (static / "plotly.min.js").stat().st_size,
        "mathjax/ (all files)": sum(
            p.stat().st_size for p in (static / "mathjax").rglob("*") if p.is_file()
        ),
    }
    for name, size in shared.items():
        print(f"{'shared: ' + name:<45} {size:>10,}")


if __name__ == "__main__":
    main()
