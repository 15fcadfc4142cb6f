"""litequeue_cv as a litequeue plugin: the cv.extract job, run and demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import litequeue
from litequeue.testing import EventRecorder
from litequeue_cv import cli, plugin
from litequeue_cv.plugin import run as run_module
from litequeue_cv.samples import Sample

from .pdf_bytes import one_page_pdf


def test_the_plugin_is_registered_under_the_litequeue_entry_point_group() -> None:
    points = {ep.name: ep.value for ep in metadata.entry_points(group="litequeue")}
    assert points.get("cv") == "litequeue_cv.plugin"


def test_autoloading_finds_the_cv_handler(tmp_path: Path) -> None:
    with litequeue.Queue(tmp_path / "q.db", autoload_plugins=True) as q:
        spec = q.handlers[plugin.KIND]
    assert (spec.version, spec.process, spec.timeout) == (plugin.VERSION, True, plugin.TIMEOUT)
    assert spec.memory_limit == plugin.MEMORY_LIMIT


def bad_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    files = {
        "empty.pdf": b"",
        "random.pdf": os.urandom(4096),
        "legacy.doc": bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 2000,
        "not-a-zip.docx": b"just some words\n" * 20,
        "bad-mediabox.pdf": one_page_pdf(mediabox=b"[0 0 1e308 1e308]"),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    bomb = folder / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:p/>" * (12 * 2**20))
    paths["bomb.docx"] = bomb
    return paths


def test_cv_jobs_report_progress_and_store_the_result(
    tmp_path: Path, samples: list[Sample]
) -> None:
    with litequeue.Queue(tmp_path / "q.db", plugins=[plugin]) as q:
        sample = samples[1]
        with EventRecorder(q) as recorder:
            job = q.enqueue(plugin.KIND, {"path": str(sample.path)}, queue=plugin.QUEUE)
            litequeue.Worker(q, queues=[plugin.QUEUE]).run(until_empty=True)
        done = q.get(job.id)
    assert done.status is litequeue.JobStatus.SUCCEEDED
    assert done.handler_version == plugin.VERSION
    assert done.result["contact"]["name"] == sample.truth["contact"]["name"]
    assert done.result["file_name"] == sample.path.name
    messages = [e.data["message"] for e in recorder.of_type("progress")]
    assert messages == ["reading the file", "finding sections"]


def test_every_bad_file_fails_its_own_job_at_once_and_the_worker_goes_on(
    tmp_path: Path, samples: list[Sample]
) -> None:
    bad = bad_files(tmp_path / "bad")
    with litequeue.Queue(tmp_path / "q.db", plugins=[plugin]) as q:
        jobs = {
            name: q.enqueue(plugin.KIND, {"path": str(path)}, queue=plugin.QUEUE)
            for name, path in bad.items()
        }
        good = q.enqueue(plugin.KIND, {"path": str(samples[0].path)}, queue=plugin.QUEUE)
        nonsense = q.enqueue(plugin.KIND, {"file": "x.pdf"}, queue=plugin.QUEUE)
        litequeue.Worker(q, queues=[plugin.QUEUE], concurrency=2).run(until_empty=True)
        for name, job in jobs.items():
            failed = q.get(job.id)
            assert failed.status is litequeue.JobStatus.FAILED, name
            assert failed.attempt == 1, f"{name} was retried"
            assert failed.error is not None
            assert failed.error.message.startswith(f"{name}: "), failed.error.message
        assert "too large" in q.get(jobs["bomb.docx"].id).error.message  # type: ignore[union-attr]
        assert "unsupported file type" in q.get(jobs["legacy.doc"].id).error.message  # type: ignore[union-attr]
        assert q.get(jobs["bad-mediabox.pdf"].id).error.type == "CorruptFile"  # type: ignore[union-attr]
        assert q.get(good.id).status is litequeue.JobStatus.SUCCEEDED
        assert q.get(nonsense.id).error.type == "BadPayload"  # type: ignore[union-attr]


def test_run_extracts_skips_what_is_done_and_reruns_after_a_version_change(
    tmp_path: Path, samples: list[Sample], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = samples[0].path.parent
    db = tmp_path / "runs.db"
    first = run_module.run_cvs([folder], db=db, tags=["project:7"], workers=2)
    assert len(first.jobs) == len(samples)
    assert first.failed == []
    assert first.batch is not None
    assert first.batch.status is litequeue.JobStatus.SUCCEEDED
    assert first.batch.tags == ["project:7"]
    again = run_module.run_cvs([folder], db=db, workers=2)
    assert (len(again.jobs), len(again.skipped)) == (0, len(samples))
    newer = str(int(plugin.VERSION) + 1)
    monkeypatch.setattr(plugin, "VERSION", newer)
    monkeypatch.setattr(run_module, "VERSION", newer)
    upgraded = run_module.run_cvs([folder], db=db, workers=2)
    assert len(upgraded.jobs) == len(samples)
    assert {j.handler_version for _, j in upgraded.jobs} == {newer}


def test_run_command_exit_codes(
    tmp_path: Path, samples: list[Sample], capsys: pytest.CaptureFixture[str]
) -> None:
    good = cli.main(["run", str(samples[0].path), "--db", str(tmp_path / "a.db")])
    assert good == 0
    bad = bad_files(tmp_path / "bad")["random.pdf"]
    assert cli.main(["run", str(bad), "--db", str(tmp_path / "b.db")]) == 1
    assert "random.pdf" in capsys.readouterr().out
    assert cli.main(["run", str(tmp_path / "nowhere"), "--db", str(tmp_path / "c.db")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_piped_run_output_is_not_wrapped_at_80_columns(
    tmp_path: Path,
    samples: list[Sample],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A line cut at the 80th column split file names and figures ("467 / ms")."""
    monkeypatch.delenv("COLUMNS", raising=False)
    folder = tmp_path / "cvs"
    folder.mkdir()
    name = "a-curriculum-vitae-with-a-name-long-enough-to-pass-eighty-columns.pdf"
    (folder / name).write_bytes(samples[0].path.read_bytes())
    assert cli.main(["run", str(folder), "--db", str(tmp_path / "q.db")]) == 0
    lines = capsys.readouterr().out.splitlines()
    (done,) = [line for line in lines if line.startswith("✓")]
    assert name in done
    assert done.endswith(" ms")
    assert any(f"│ {name} │" in line for line in lines)  # the summary table's row
    assert any(line.startswith("1 extracted") and line.endswith("q.db") for line in lines)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(60)
def test_run_reports_a_named_pipe_as_a_failed_file(tmp_path: Path, samples: list[Sample]) -> None:
    folder = tmp_path / "cvs"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(samples[0].path.read_bytes())
    os.mkfifo(folder / "pipe.pdf")  # reading it would wait for a writer forever
    summary = run_module.run_cvs([folder], db=tmp_path / "q.db", workers=1)
    assert len(summary.jobs) == 2
    [(path, job)] = summary.failed
    assert path.name == "pipe.pdf"
    assert job.error is not None
    assert job.error.message == "pipe.pdf: not a regular file (it is a named pipe)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(60)
def test_an_unreadable_file_deep_in_long_folder_names_is_a_failed_file(tmp_path: Path) -> None:
    """Such a file is known by its path, and a path may be longer than a unique key."""
    folder = tmp_path.joinpath(*["d" * 250] * 5)
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe.pdf")
    assert len(str(folder / "pipe.pdf")) > 1000
    summary = run_module.run_cvs([tmp_path], db=tmp_path / "q.db", workers=1)
    [(path, job)] = summary.failed
    assert path == folder / "pipe.pdf"
    assert job.error is not None
    assert "not a regular file" in job.error.message


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--workers", "0"], 2),
        (["--workers", "-1"], 2),
        (["--db", "{tmp}"], 1),  # a folder
        (["--db", "{tmp}/no-such-folder/q.db"], 1),
    ],
)
def test_run_errors_are_one_line_without_a_traceback(
    tmp_path: Path,
    samples: list[Sample],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    status: int,
) -> None:
    argv = ["run", str(samples[0].path), *(a.format(tmp=tmp_path) for a in args)]
    assert cli.main(argv) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("litequeue-cv: error: ")


@pytest.mark.slow
def test_ctrl_c_stops_a_run_and_the_next_run_does_the_rest(
    tmp_path: Path, samples: list[Sample]
) -> None:
    folder = tmp_path / "cvs"
    folder.mkdir()
    pdfs = [s.path for s in samples if s.path.suffix == ".pdf"]
    for copy in range(7):  # distinct bytes, so distinct jobs: enough work to interrupt
        for pdf in pdfs:
            data = pdf.read_bytes() + b"\n%% copy %d\n" % copy
            (folder / f"{copy}-{pdf.name}").write_bytes(data)
    total = 7 * len(pdfs)
    db = tmp_path / "q.db"
    command = [sys.executable, "-m", "litequeue_cv", "run", str(folder), "--db", str(db)]
    proc = subprocess.Popen(
        [*command, "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the live view prints a line as each file is done
            if line.startswith("✓"):
                break
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()  # does nothing once it has exited
    assert proc.returncode == cli.INTERRUPTED, rest
    assert "left for the next run (interrupted)" in " ".join(rest.split())  # rich wraps it
    first = run_module.run_cvs([folder], db=db)
    assert first.failed == []
    assert first.left == []
    assert 0 < len(first.jobs) < total
    assert len(first.jobs) + len(first.skipped) == total


def test_demo_writes_samples_and_extracts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--n", "4", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "4 extracted, 0 failed" in out
    assert len(list((tmp_path / "cvs").iterdir())) == 4
    with litequeue.Queue(tmp_path / "demo.db") as q:
        assert q.stats(tag="project:demo")["cv"]["succeeded"] == 5  # 4 files and their batch
