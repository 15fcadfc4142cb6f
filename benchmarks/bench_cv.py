"""Accuracy, speed and memory of litequeue_cv on the shared CV corpus.

Run on demand (not part of the test suite)::

    PYTHONPATH=src python benchmarks/bench_cv.py [SAMPLES] [--corpus DIR] [--real DIR]
        [--n 200] [--seed 4242]

1. Extracts every PDF/DOCX in SAMPLES_DIR and scores it with the corpus's
   ``score.py``: the headline cv-f1 and the cv-f1 of each layout.
2. Generates ``--n`` fresh CVs with ``generate.py --seed`` (needs reportlab)
   into a temporary folder and scores those the same way.
3. Scores the real CVs in ``--real`` (default ``CORPUS/real``; skipped with a
   line saying so when absent): the whole set and its two halves, split by
   source repository (see ``real_halves``), overall and per field, so a rule
   tuned on one half can be checked on the other.
4. Times extraction against pdfplumber's own ``extract_text()`` on the same
   PDFs (target: at most 1.5 times), times the layout pass on a made-up page
   of 60,000 words (target: under 5 s), and reports the peak RSS of the
   process over all the extractions (target: under 300 MB; the made-up page
   comes after it, its characters alone take more than a real CV).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pdfplumber

from litequeue_cv import CVError, extract
from litequeue_cv.readers._chars import words_from_chars
from litequeue_cv.readers._layout import reading_order, segments_from_words

#: ``shared/`` lies beside the project's checkout.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "cv-corpus"


def _load_scorer(corpus: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("cv_score", corpus / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {corpus / 'score.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predict(folder: Path, out: Path) -> tuple[list[Path], list[str]]:
    """Write one prediction per input file; return the inputs and the failures."""
    inputs = sorted(p for p in folder.iterdir() if p.suffix in (".pdf", ".docx"))
    failures = []
    for path in inputs:
        try:
            result = extract(path).to_dict()
        except CVError as exc:
            failures.append(str(exc))
            continue
        (out / f"{path.name}.json").write_text(json.dumps(result, ensure_ascii=False))
    return inputs, failures


def _score_report(
    scorer: ModuleType, truth: Path, pred: Path, inputs: Path | None = None
) -> dict[str, Any]:
    """The scorer's full JSON report for the predictions in ``pred``."""
    report = pred / "report.json"
    args = ["--truth", str(truth), "--pred", str(pred), "--json-out", str(report)]
    if inputs is not None:
        args += ["--inputs", str(inputs)]
    with contextlib.redirect_stdout(io.StringIO()):
        scorer.main(args)
    result: dict[str, Any] = json.loads(report.read_text())
    return result


def _score(scorer: ModuleType, truth: Path, pred: Path) -> float:
    return float(_score_report(scorer, truth, pred)["headline"])


def _layout(name: str) -> str:
    m = re.match(r"cv-\d+-([a-z]+)", name)
    return m.group(1) if m else "other"


def _score_by_layout(scorer: ModuleType, truth: Path, pred: Path) -> dict[str, float]:
    """cv-f1 of each layout, scoring a folder of links to that layout's files."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for t in truth.glob("*.json"):
        groups[_layout(t.name)].append(t)
    out = {}
    for layout, truths in sorted(groups.items()):
        with tempfile.TemporaryDirectory() as tmp:
            sub = Path(tmp)
            for t in truths:
                for p in truth.glob(f"{t.stem}.*"):
                    (sub / p.name).symlink_to(p)
            out[layout] = _score(scorer, sub, pred)
    return out


def _report(label: str, scorer: ModuleType, folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp)
        started = time.perf_counter()
        inputs, failures = _predict(folder, pred)
        elapsed = time.perf_counter() - started
        headline = _score(scorer, folder, pred)
        layouts = _score_by_layout(scorer, folder, pred)
    print(f"\n{label}: {len(inputs)} files in {elapsed:.1f} s, {len(failures)} failed")
    for failure in failures:
        print(f"  failed: {failure}")
    for layout, value in layouts.items():
        print(f"  {layout:10s} cv-f1 {value:.3f}")
    print(f"  cv-f1 {headline:.3f}")


def real_halves(manifest: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Truth file stems of the real set in two halves by source repository, so no
    repository is in both: repositories with the most files first (then by
    name), each to the half that has fewer files so far (A on a tie)."""
    files: dict[str, list[str]] = defaultdict(list)
    for entry in manifest:
        files[entry["repo"].casefold()].append(Path(entry["truth"]).stem)
    out: dict[str, list[str]] = {"A": [], "B": []}
    for repo in sorted(files, key=lambda r: (-len(files[r]), r)):
        half = "A" if len(out["A"]) <= len(out["B"]) else "B"
        out[half].extend(files[repo])
    return out


def _report_real(scorer: ModuleType, real: Path) -> None:
    manifest_path = real / "manifest.json"
    if not manifest_path.is_file():
        print(f"\nreal set: {manifest_path} not found, skipped (give its folder with --real)")
        return
    manifest = json.loads(manifest_path.read_text())["files"]
    halves = {"all": [Path(e["truth"]).stem for e in manifest], **real_halves(manifest)}
    reports = {}
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp) / "pred"
        pred.mkdir()
        inputs, failures = _predict(real / "files", pred)
        for name, stems in halves.items():
            truth = Path(tmp) / f"truth-{name}"
            truth.mkdir()
            for stem in stems:
                (truth / f"{stem}.json").symlink_to((real / "truth" / f"{stem}.json").resolve())
            reports[name] = _score_report(scorer, truth, pred, real / "files")
    print(f"\nreal set ({real}): {len(inputs)} files, {len(failures)} failed")
    for failure in failures:
        print(f"  failed: {failure}")
    sizes = {name: len(stems) for name, stems in halves.items()}
    print(f"  {'field':32s} " + " ".join(f"{f'{n} ({sizes[n]})':>9s}" for n in reports))
    for field in reports["all"]["fields"]:
        values = [reports[n]["fields"].get(field) for n in reports]
        cells = " ".join(f"{v:9.3f}" if v is not None else f"{'-':>9s}" for v in values)
        print(f"  {field:32s} {cells}")
    location = [reports[n]["diagnostics"].get("work_history.location") for n in reports]
    cells = " ".join(f"{v:9.3f}" if v is not None else f"{'-':>9s}" for v in location)
    print(f"  {'(work_history.location)':32s} {cells}")
    lowest = min(reports["all"]["per_file"], key=lambda f: f["mean_f1"])
    print(f"  lowest file: {lowest['prediction']} {lowest['mean_f1']:.3f}")
    print("  cv-f1 " + "  ".join(f"{n} {reports[n]['headline']:.3f}" for n in reports))


def _layout_speed(n_words: int = 60_000) -> None:
    """The layout pass alone (characters to reading order) on a made-up page of
    two columns of words, as a crafted or machine-made PDF could hold."""
    chars = []
    per_row = 8
    for k in range(n_words):
        row, col, pos = k // (2 * per_row), (k // per_row) % 2, k % per_row
        x = 40 + 300 * col + 32 * pos
        top = 20 + 9 * row
        for i, ch in enumerate(f"w{k % 1000:03d}"):
            chars.append(
                {
                    "text": ch,
                    "x0": x + 6 * i,
                    "x1": x + 6 * i + 5.5,
                    "top": top,
                    "bottom": top + 8,
                    "size": 8.0,
                    "fontname": "Helvetica",
                }
            )
    started = time.perf_counter()
    words = words_from_chars(chars)
    flow, aside = reading_order(segments_from_words(words), 612.0)
    elapsed = time.perf_counter() - started
    print(
        f"layout pass on a page of {len(words)} words: {elapsed:.2f} s, "
        f"{len(flow) + len(aside)} rows (target < 5 s)"
    )


def _timing(folder: Path) -> None:
    pdfs = sorted(folder.glob("*.pdf"))
    for path in pdfs[:3]:  # warm both code paths
        extract(path)
    plain = ours = 0.0
    for path in pdfs:
        t0 = time.perf_counter()
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
        t1 = time.perf_counter()
        extract(path)
        t2 = time.perf_counter()
        plain += t1 - t0
        ours += t2 - t1
    n = len(pdfs)
    print(
        f"\ntiming on {n} PDFs: pdfplumber extract_text {plain / n * 1000:.1f} ms/file, "
        f"litequeue_cv {ours / n * 1000:.1f} ms/file, ratio {ours / plain:.2f} (target <= 1.5)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("samples", nargs="?", type=Path, help="folder of CVs with truth JSON")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="holds score.py")
    ap.add_argument("--real", type=Path, help="folder of the real CVs (default: CORPUS/real)")
    ap.add_argument("--n", type=int, default=200, help="fresh CVs to generate (0: none)")
    ap.add_argument("--seed", type=int, default=4242, help="seed for the fresh CVs")
    a = ap.parse_args(argv)
    samples = a.samples or a.corpus / "samples"
    scorer = _load_scorer(a.corpus)
    _report(f"samples ({samples})", scorer, samples)
    if a.n:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, str(a.corpus / "generate.py"), "--out", tmp, "--n", str(a.n)]
            subprocess.run([*cmd, "--seed", str(a.seed)], check=True, capture_output=True)
            _report(f"{a.n} generated CVs (seed {a.seed})", scorer, Path(tmp))
    _report_real(scorer, a.real or a.corpus / "real")
    _timing(samples)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the extractions {peak_mb:.0f} MB (target < 300 MB)")
    _layout_speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
