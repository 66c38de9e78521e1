"""Tesseract misbehaving: hanging, crashing, killed by the out-of-memory killer, failing.

The tesseract binary is replaced, in this process, by shell scripts that misbehave on chosen
calls and hand the others to the real Tesseract (`--version` and `--list-langs` always go to the
real one, so the engine version in the settings fingerprint does not change). Each page that
Tesseract does not deliver gets one `failures` row saying what happened; only transient faults
are tried again.
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import time
from pathlib import Path

import pytesseract
import pytest

from archivist import synth
from archivist.config import OcrSettings, Settings
from archivist.errors import PageError
from archivist.ocr import TesseractFault, ocr_page
from tasks.ocr import _is_transient
from conftest import query_db as _q

pytestmark = pytest.mark.integration

REAL_TESSERACT = shutil.which("tesseract") or "/usr/bin/tesseract"


class FakeTesseract:
    """A tesseract stand-in: call number n (1-based, counted across the test) runs
    `faults[n]` when there is one, else the real Tesseract. Every call is logged."""

    def __init__(self, folder: Path, faults: dict[int, str], default: str | None = None):
        self.calls = folder / "calls.log"
        self.calls.write_text("")
        cases = "".join(f"  {n}) {body} ;;\n" for n, body in faults.items())
        fallback = default or f'exec "{REAL_TESSERACT}" "$@"'
        self.path = folder / "tesseract"
        self.path.write_text(f"""#!/bin/sh
case "$1" in --version|--list-langs) exec "{REAL_TESSERACT}" "$@" ;; esac
echo "$*" >> "{self.calls}"
n=$(wc -l < "{self.calls}")
echo $$ > "{folder}/last.pid"
case "$n" in
{cases}  *) {fallback} ;;
esac
""")
        self.path.chmod(0o755)

    @property
    def count(self) -> int:
        return len(self.calls.read_text().splitlines())


@pytest.fixture
def fake_tesseract(tmp_path: Path, monkeypatch):
    def install(faults: dict[int, str], default: str | None = None) -> FakeTesseract:
        folder = tmp_path / "bin"
        folder.mkdir(exist_ok=True)
        fake = FakeTesseract(folder, faults, default)
        monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(fake.path))
        return fake
    return install


HANG = "exec sleep 60"
SEGFAULT = "kill -SEGV $$"
OOM_KILL = "kill -KILL $$"
ERROR_EXIT = 'echo "Error in pixReadStream: Unknown format" >&2; exit 1'
WRAPPER_OOM = "exit 137"  # a wrapper script whose tesseract child was SIGKILLed
NO_OUTPUT = "exit 0"
GARBAGE = 'printf "not\\ta\\ttsv" > "$2.tsv"'
NO_MEMORY = 'echo "std::bad_alloc: Cannot allocate memory" >&2; exit 1'


def page_file(folder: Path, seed: int, name: str = "page.png") -> Path:
    """A short page, its text unique to the seed (so no test hits another's OCR cache)."""
    lines = [f"Reference {seed}/{seed * 7}", "", "Dear Sir,", "",
             "     I have the honour to acknowledge your letter of the",
             f"     {seed % 28 + 1}th instant regarding the conference arrangements.", "",
             "                                   Yours faithfully,"]
    path = folder / name
    synth.render_page(lines, seed=seed).save(path)
    return path


def quick(timeout_s: float = 180.0) -> Settings:
    return Settings(ocr=OcrSettings(timeout_s=timeout_s))


# --------------------------------------------------------------------------
# One page, one fault
# --------------------------------------------------------------------------

def test_a_hang_is_cut_off_at_the_time_out_and_the_process_killed(tmp_path, fake_tesseract):
    fake = fake_tesseract({1: HANG})
    path = page_file(tmp_path, 1)
    started = time.monotonic()
    with pytest.raises(TesseractFault) as caught:
        ocr_page(path, "image", 0, quick(timeout_s=1.5))
    assert time.monotonic() - started < 10
    fault = caught.value
    assert str(fault).startswith(f"{path} page 1: ocr: Tesseract timed out after 1.5 s")
    assert fault.stage == "ocr" and fault.kind == "timeout" and not fault.transient
    pid = int((tmp_path / "bin" / "last.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # not left running
    assert fake.count == 1


@pytest.mark.parametrize("body,message,transient", [
    (SEGFAULT, "Tesseract crashed with SIGSEGV (signal 11)", False),
    (OOM_KILL, "Tesseract was killed by SIGKILL (signal 9), most often the kernel's "
               "out-of-memory killer", True),
    (WRAPPER_OOM, "Tesseract was killed by SIGKILL (signal 9)", True),
    ("kill -TERM $$", "Tesseract was stopped by SIGTERM (signal 15)", True),
    ("kill -ABRT $$", "Tesseract crashed with SIGABRT (signal 6)", False),
    (ERROR_EXIT, "Tesseract failed with exit status 1: Error in pixReadStream: Unknown format",
     False),
    (NO_MEMORY, "Tesseract failed with exit status 1: std::bad_alloc", True),
    (NO_OUTPUT, "Tesseract exited without writing its output", False),
    (GARBAGE, "unreadable Tesseract output", False),
])
def test_each_fault_is_a_page_error_saying_what_happened(tmp_path, fake_tesseract, body,
                                                         message, transient):
    fake_tesseract({}, default=body)
    path = page_file(tmp_path, 2)
    with pytest.raises(TesseractFault) as caught:
        ocr_page(path, "image", 0, Settings())
    fault = caught.value
    assert isinstance(fault, PageError) and fault.stage == "ocr" and fault.page_index == 0
    assert str(fault).startswith(f"{path} page 1: ocr: {message}")
    assert fault.transient is transient
    assert "\n" not in fault.problem


def test_a_tesseract_that_cannot_be_executed_is_a_page_error(tmp_path, monkeypatch):
    script = tmp_path / "tesseract"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)  # not executable
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(script))
    with pytest.raises(TesseractFault, match="Tesseract could not be started: Permission denied"):
        ocr_page(page_file(tmp_path, 3), "image", 0, Settings())


def test_a_fault_survives_pickling_with_its_transience():
    fault = TesseractFault("a.png", 2, "Tesseract was killed", transient=True, kind="signal")
    copy = pickle.loads(pickle.dumps(fault))
    assert (copy.path, copy.page_index, copy.stage, copy.problem, copy.transient, copy.kind) == \
        ("a.png", 2, "ocr", "Tesseract was killed", True, "signal")
    assert str(copy) == str(fault)


class _State:
    def __init__(self, exc: BaseException | None):
        self.exc = exc

    def result(self):
        if self.exc:
            raise self.exc
        return "ok"


@pytest.mark.parametrize("exc,transient", [
    (TesseractFault("a.png", 0, "killed", transient=True), True),
    (TesseractFault("a.png", 0, "timed out", kind="timeout"), False),
    (TesseractFault("a.png", 0, "crashed", kind="signal"), False),
    (PageError("a.png", 0, "load", "truncated"), False),
    (PageError("a.png", 0, "preprocess", "bad"), False),
    (MemoryError(), True),
    (OSError(errno.EAGAIN, "Resource temporarily unavailable"), True),
    (OSError(errno.ENOMEM, "Cannot allocate memory"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (ValueError("a bug"), False),
    (None, False),
])
def test_only_transient_faults_are_retried(exc, transient):
    assert _is_transient(None, None, _State(exc)) is transient


# --------------------------------------------------------------------------
# Through the real flow: a failures row per page, the run goes on
# --------------------------------------------------------------------------


def _run(folder: Path, db: Path, monkeypatch, settings: Settings | None = None):
    import flows.process_collection as flow_module

    if settings is not None:
        monkeypatch.setattr(flow_module, "Settings", lambda: settings)
    return flow_module.run_collection(str(folder), str(db), workers=1)


@pytest.mark.parametrize("seed,fault,settings,reason,calls", [
    (40, HANG, quick(timeout_s=3), "Tesseract timed out after 3 s", 2),   # not retried
    (50, SEGFAULT, None, "Tesseract crashed with SIGSEGV", 2),             # not retried
], ids=["hang", "crash"])
def test_a_faulty_page_gets_a_failure_row_and_the_other_page_is_stored(
        tmp_path, monkeypatch, fake_tesseract, seed, fault, settings, reason, calls):
    folder = tmp_path / "drop"
    folder.mkdir()
    first = page_file(folder, seed, "a_first.png")  # workers=1: OCR'd first, so call 1
    page_file(folder, seed + 1, "b_second.png")
    fake = fake_tesseract({1: fault})
    db = tmp_path / "archive.duckdb"
    summary = _run(folder, db, monkeypatch, settings)
    assert [Path(p).name for p in summary.failed] == ["a_first.png"]
    failures = _q(db, "SELECT path, page_index, stage, error FROM failures")
    assert len(failures) == 1
    path, page_index, stage, error = failures[0]
    assert (path, page_index, stage) == (str(first), 0, "ocr") and error.startswith(reason)
    stored = _q(db, "SELECT s.path, p.text FROM pages p JOIN sources s USING (source_id)")
    assert [Path(p).name for p, _ in stored] == ["b_second.png"]
    assert "Dear Sir," in stored[0][1]
    assert fake.count == calls


def test_an_out_of_memory_kill_is_retried_and_the_page_then_read(tmp_path, monkeypatch,
                                                                 fake_tesseract):
    folder = tmp_path / "drop"
    folder.mkdir()
    page_file(folder, 60)
    fake = fake_tesseract({1: OOM_KILL})
    db = tmp_path / "archive.duckdb"
    summary = _run(folder, db, monkeypatch)
    assert summary.failed == [] and summary.pages == 1
    assert _q(db, "SELECT count(*) FROM failures") == [(0,)]
    assert fake.count == 2  # killed once, then read


def test_a_page_killed_every_time_fails_after_one_retry(tmp_path, monkeypatch, fake_tesseract):
    folder = tmp_path / "drop"
    folder.mkdir()
    path = page_file(folder, 61)
    (folder / "notes.txt").write_text("Dear Sir,\n\nA transcription, read as usual.\n")
    fake = fake_tesseract({}, default=OOM_KILL)
    db = tmp_path / "archive.duckdb"
    summary = _run(folder, db, monkeypatch)
    assert [Path(p).name for p in summary.failed] == ["page.png"]
    ((failed_path, stage, error),) = _q(db, "SELECT path, stage, error FROM failures")
    assert failed_path == str(path) and stage == "ocr"
    assert error.startswith("Tesseract was killed by SIGKILL (signal 9)")
    assert fake.count == 2
    assert _q(db, "SELECT count(*) FROM witnesses WHERE kind = 'transcription'") == [(1,)]
