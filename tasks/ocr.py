"""OCR of one page as a Prefect task, cached by the page's content and the settings.

The cache key is the source file's sha256, the page index and the settings fingerprint (which
includes the Tesseract version), never the run: a page already OCR'd under the same settings is
not OCR'd again, even when its file was renamed or a killed run is resumed.
"""

from __future__ import annotations

from typing import Any

from prefect import task

from archivist.config import Settings
from archivist.errors import PageError
from archivist.ocr import TRANSIENT_ERRNOS, PageOcr, TesseractFault, ocr_page


def page_cache_key(_context: Any, params: dict[str, Any]) -> str:
    return f"ocr-{params['sha256']}-{params['page_index']}-{params['settings_hash']}"


def _is_transient(_task: Any, _run: Any, state: Any) -> bool:
    """Retry (once) only what may go differently the second time; see TesseractFault.

    Transient: Tesseract killed by SIGKILL (the out-of-memory killer, when parallel pages together
    exhaust memory) or SIGTERM, or refused memory or a process (ENOMEM, EAGAIN...); a MemoryError
    here. Not transient: a time-out (a retry costs the whole limit again, for a page ~100 times
    slower than normal; the next run tries it again anyway), a crash by SIGSEGV/SIGABRT or an
    error exit (same input, same failure), and a page that cannot be decoded or preprocessed.
    """
    try:
        state.result()
    except TesseractFault as exc:
        return exc.transient
    except PageError:
        return False
    except MemoryError:
        return True
    except OSError as exc:
        return exc.errno in TRANSIENT_ERRNOS
    except Exception:
        return False
    return False


@task(name="ocr-page", retries=1, retry_delay_seconds=1, retry_condition_fn=_is_transient,
      cache_key_fn=page_cache_key, persist_result=True,
      task_run_name="ocr {path} p{page_index}")
def ocr_page_task(path: str, kind: str, page_index: int, sha256: str, settings_hash: str,
                  settings: Settings) -> PageOcr:
    return ocr_page(path, kind, page_index, settings)
