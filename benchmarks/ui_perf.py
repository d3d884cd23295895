"""The desktop client on a 1,000,000-item cache (``QT_QPA_PLATFORM=offscreen``): first paint, scrolling,
cold start, memory, and the GUI thread's event-loop latency while a sync runs in the background.

* ``first_paint``: from opening the cache to the first list rows painted with their data (the
  person at the desk, the task runner, the main window, ``show()``, the first page of ids and the
  first window of rows read on the reader pool).
* ``scroll``: the list scrolled top to bottom through its vertical scroll bar, step by step. The ids
  are fetched page by page as the list grows (``fetch_all_ids``, timed apart); then the bar is
  driven (a) a page at a time over the first ``--page-steps`` pages, as PageDown or a wheel does,
  and (b) over ``--drag-steps`` positions spread evenly from the top to the very bottom, as a drag
  of the thumb does. Each step is timed as a frame: ``setValue`` plus a synchronous repaint of the
  viewport (rows not read yet show a placeholder); once the rows arrive the viewport is painted
  again and that frame is timed too. ``rows_visible`` is the wait from the step to the rows.
* ``cold_start``: a fresh process (``--child``) that imports the client, opens the cache and shows
  the window until its first rows are painted; from just before the process is spawned to then.
  One warm-up run first (the OS page cache), then the median of ``--cold-runs``.
* ``memory``: resident memory (VmRSS and its peak VmHWM) of this process after the scroll.
* ``sync_latency``: a copy of the cache with the window open on it, the demo sandbox
  (``start_demo(live=False, scale=...)``) and a :class:`SyncLoop` syncing its accounts in the
  background as ``omniinbox --demo`` does; a 5 ms ``PreciseTimer`` records how late each tick
  arrives for ``--sync-seconds``. Stalls are ticks later than 50 ms.

Python modules are compiled to bytecode first (``compileall`` over the package and the
environment's site-packages), as an installed application has them: where the environment says
``PYTHONDONTWRITEBYTECODE`` (some machines do), every module would otherwise be compiled from source
on every start, which doubles the first paint and stalls the event loop while the sync thread first
imports the connectors. ``--no-compile`` measures as found.

The 1M-item base cache (``benchmarks/_common.ensure_base_cache``) is used rather than
``omniinbox/ui/samples.py``: the samples' triage writes every assignment and tag through audited
store functions (minutes for a million items) while what this measures (id pages, row windows,
painting) depends on the item count and row shape, which the base has through the real ingest path.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_perf.py [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import gc
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (
    add_base_args,
    copy_cache,
    emit,
    ensure_base_cache,
    log,
    machine_info,
    remove_cache_files,
    resolve_base_args,
    summarize_ms,
)

TARGETS = {
    "first_paint_ms": 100,
    "scroll_frame_p95_ms": 16,
    "cold_start_s": 1.5,
    "rss_mb": 300,
    "event_loop_stall_ms": 50,
}


def rss_mb() -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {"rss_mb": out.get("VmRSS", float("nan")), "peak_rss_mb": out.get("VmHWM", float("nan"))}


# ---------------------------------------------------------------------------------- the window


class Window:
    """The client as ``app.run`` puts it together, on ``path``, with the phases timed."""

    def __init__(self, path: Path, *, poll_ms: int | None = None, freeze: bool = True) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer

        from omniinbox.store.cache import Cache
        from omniinbox.ui.app import create_application, freeze_startup_objects, settings
        from omniinbox.ui.main_window import MainWindow
        from omniinbox.ui.tasks import DEFAULT_POLL_MS, TaskRunner
        from omniinbox.usecases import current_user

        self.app = create_application(["ui_perf"])
        self.phases: dict[str, float] = {}
        self.painted_at: float | None = None
        started = time.perf_counter()
        self.cache = Cache.open(path)
        self.phases["open_cache_ms"] = (time.perf_counter() - started) * 1000
        self.opened_at = started
        mark = time.perf_counter()
        user = current_user(self.cache)
        self.runner = TaskRunner(self.cache, poll_ms=DEFAULT_POLL_MS if poll_ms is None else poll_ms)
        self.phases["user_and_runner_ms"] = (time.perf_counter() - mark) * 1000
        mark = time.perf_counter()
        store = settings()
        store.remove("geometry")
        self.window = MainWindow(self.runner, user, store)
        self.phases["main_window_ms"] = (time.perf_counter() - mark) * 1000
        self.view = self.window.inbox.view
        self.model = self.window.inbox.model
        window = self

        class FirstRows(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if (
                    window.painted_at is None
                    and event.type() == QEvent.Type.Paint
                    and window.model.list_row(0) is not None
                ):
                    QTimer.singleShot(0, window._painted)  # runs right after this paint is done
                return False

        self._filter = FirstRows()
        self.view.viewport().installEventFilter(self._filter)
        mark = time.perf_counter()
        self.window.resize(1600, 1000)
        self.window.show()
        if freeze:
            freeze_startup_objects()  # as app.run does
        self.phases["show_ms"] = (time.perf_counter() - mark) * 1000

    def _painted(self) -> None:
        if self.painted_at is None:
            self.painted_at = time.perf_counter()

    def wait(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        end = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > end:
                return False
            self.app.processEvents()
            time.sleep(0.0005)
        return True

    def wait_first_paint(self) -> float:
        if not self.wait(lambda: self.painted_at is not None):
            raise RuntimeError("the list painted no rows within 30 s")
        assert self.painted_at is not None
        return (self.painted_at - self.opened_at) * 1000

    def close(self) -> None:
        import shiboken6

        self.window.close()
        shiboken6.delete(self.window)
        self.runner.shutdown()
        self.cache.close()


# ---------------------------------------------------------------------------------- measurements


def measure_scroll(w: Window, page_steps: int, drag_steps: int, max_rows: int | None) -> dict[str, Any]:
    from PySide6.QtCore import QModelIndex

    model, view = w.model, w.view
    bar = view.verticalScrollBar()
    started = time.perf_counter()
    pages = 0
    while model.has_more() and (max_rows is None or model.rowCount() < max_rows):
        if not model.is_fetching():
            model.fetchMore(QModelIndex())
            pages += 1
        w.app.processEvents()
    w.wait(lambda: not model.is_fetching())
    fetch_all = time.perf_counter() - started
    rows = model.rowCount()
    log(f"  {rows:,} ids in the list after {pages} pages ({fetch_all:.1f} s)")

    frames: list[float] = []
    placeholder_frames: list[float] = []
    data_frames: list[float] = []
    rows_visible: list[float] = []

    def step(value: int) -> None:
        viewport = view.viewport()
        t0 = time.perf_counter()
        bar.setValue(value)
        viewport.repaint()
        t1 = time.perf_counter()
        frames.append(t1 - t0)
        top = view.rowAt(0)
        if top < 0 or model.list_row(top) is not None:
            data_frames.append(t1 - t0)
            rows_visible.append(t1 - t0)
            return
        placeholder_frames.append(t1 - t0)
        w.wait(lambda: model.list_row(view.rowAt(0)) is not None, timeout=5.0)
        t2 = time.perf_counter()
        viewport.repaint()
        t3 = time.perf_counter()
        frames.append(t3 - t2)
        data_frames.append(t3 - t2)
        rows_visible.append(t3 - t0)

    page = max(bar.pageStep(), 1)
    for n in range(page_steps):
        step(min((n + 1) * page, bar.maximum()))
    paging = {"frame": summarize_ms(frames), "rows_visible": summarize_ms(rows_visible)}
    frames.clear()
    rows_visible.clear()
    for n in range(drag_steps + 1):
        step(round(bar.maximum() * n / drag_steps))
    drag = {"frame": summarize_ms(frames), "rows_visible": summarize_ms(rows_visible)}
    all_frames = sorted(placeholder_frames + data_frames)
    return {
        "rows": rows,
        "fetch_all_ids_s": round(fetch_all, 2),
        "id_pages": pages,
        "page_steps": page_steps,
        "drag_steps": drag_steps,
        "paging": paging,
        "drag": drag,
        "frames": summarize_ms(all_frames),
        "placeholder_frames": summarize_ms(placeholder_frames),
        "data_frames": summarize_ms(data_frames),
        "reached_bottom": bar.value() == bar.maximum() and not model.has_more(),
    }


def measure_sync_latency(path: Path, seconds: float, scale: int, *, freeze: bool = True) -> dict[str, Any]:
    from PySide6.QtCore import Qt, QTimer

    from omniinbox.demo import start_demo
    from omniinbox.secrets import SecretStore
    from omniinbox.store.cache import Cache
    from omniinbox.sync.loop import SyncLoop

    with Cache.open(path) as cache:
        before = cache.conn.execute("SELECT max(seq) FROM items").fetchone()[0] or 0
        started = time.perf_counter()
        demo = start_demo(cache, live=False, scale=scale, secrets=SecretStore.in_memory())
        log(f"  demo sandbox up in {time.perf_counter() - started:.1f} s, {len(demo.accounts)} accounts")
    w = Window(path, freeze=freeze)
    w.wait_first_paint()
    loop = SyncLoop(path, demo.connector_for(), interval=3.0, accounts=demo.is_demo_account)
    late: list[float] = []
    last = [0.0]
    interval = 0.005
    # garbage collections stop every thread: their pauses are recorded to tell them from the rest
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)

    stall_at: list[float] = []
    sync_started = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            late.append(max(now - last[0] - interval, 0.0))
            if late[-1] > TARGETS["event_loop_stall_ms"] / 1000 and sync_started[0]:
                stall_at.append(last[0] - sync_started[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(int(interval * 1000))
    timer.timeout.connect(tick)
    # idle first: what the event loop does with nothing in the background
    timer.start()
    w.wait(lambda: False, timeout=2.0)
    idle = list(late)
    late.clear()
    last[0] = 0.0
    sync_started[0] = time.perf_counter()
    loop.start()
    end = time.perf_counter() + seconds
    w.wait(lambda: time.perf_counter() > end, timeout=seconds + 1)
    timer.stop()
    gc.callbacks.remove(on_gc)
    loop.stop()
    rounds = loop.rounds
    demo.stop()
    w.close()
    with Cache.open(path) as cache:
        written = cache.conn.execute("SELECT count(*) FROM items WHERE seq > ?", (before,)).fetchone()[0]
    stalls = [x for x in late if x > TARGETS["event_loop_stall_ms"] / 1000]
    return {
        "seconds": seconds,
        "scale": scale,
        "accounts": len(demo.accounts),
        "sync_rounds": rounds,
        "items_written": written,
        "ticks": len(late),
        "lateness": summarize_ms(late),
        "idle_lateness": summarize_ms(idle),
        "stalls_over_50ms": len(stalls),
        "worst_stalls_ms": sorted((round(x * 1000, 1) for x in stalls), reverse=True)[:10],
        "stalls_began_s": [round(x, 2) for x in stall_at[:10]],  # after the sync loop started
        "gc_pauses": {f"gen{g}": summarize_ms(p) if p else {"runs": 0} for g, p in pauses.items()},
        "gc_frozen": gc.get_freeze_count(),
        "gc_threshold": gc.get_threshold(),
    }


def child(path: Path) -> None:
    """A fresh process: import, open, show, first rows painted; print the phases as JSON."""
    t_start = time.time()
    mark = time.perf_counter()
    import omniinbox.ui.app  # noqa: F401 (the imports a real start pays for)

    imports = (time.perf_counter() - mark) * 1000
    w = Window(path)
    first = w.wait_first_paint()
    done = time.time()
    w.close()
    print(json.dumps({"done_wall": done, "child_start_wall": t_start, "imports_ms": imports, "first_paint_ms": first,
                      **w.phases}))  # fmt: skip


def measure_cold_start(path: Path, runs: int) -> dict[str, Any]:
    results = []
    for n in range(runs + 1):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")},
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        data["total_s"] = data["done_wall"] - t0
        data["interpreter_s"] = data["child_start_wall"] - t0
        if n:  # the first run warms the OS page cache
            results.append(data)
        log(f"  cold start {'(warm-up) ' if not n else ''}{data['total_s']:.2f} s")
    median = statistics.median(r["total_s"] for r in results)
    pick = min(results, key=lambda r: abs(r["total_s"] - median))
    return {
        "runs": len(results),
        "median_s": round(median, 3),
        "all_s": [round(r["total_s"], 3) for r in results],
        "phases_of_median": {
            k: round(v, 1) if k.endswith("_ms") else round(v, 3)
            for k, v in pick.items()
            if k.endswith(("_ms", "interpreter_s"))
        },
    }


def profiled(enabled: bool, name: str, fn: Callable[[], Any]) -> Any:
    if not enabled:
        return fn()
    prof = cProfile.Profile()
    result = prof.runcall(fn)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(30)
    log(f"---- profile: {name}\n{buf.getvalue()}")
    return result


# ---------------------------------------------------------------------------------- main


def compile_bytecode() -> str:
    """Compile the package and site-packages to ``__pycache__``, as an install leaves them
    (already compiled files are only checked); say what was done."""
    started = time.perf_counter()
    package = Path(__file__).resolve().parent.parent / "omniinbox"
    # quiet=2: templates in site-packages that are not Python would be reported on stdout, the JSON's
    ok = compileall.compile_dir(package, quiet=2) and compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=2)
    log(f"modules compiled to bytecode in {time.perf_counter() - started:.1f} s")
    return "compiled" if ok else "compiled (some files in site-packages are templates, not Python)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_base_args(parser)
    parser.add_argument("--page-steps", type=int, default=None, help="PageDown steps from the top (default 300)")
    parser.add_argument("--drag-steps", type=int, default=None, help="thumb positions top to bottom (default 500)")
    parser.add_argument("--cold-runs", type=int, default=None, help="cold starts after the warm-up (default 3)")
    parser.add_argument("--sync-seconds", type=float, default=None, help="event-loop watch (default 30)")
    parser.add_argument("--scale", type=int, default=None, help="the demo's scale (default 50000)")
    parser.add_argument("--skip", action="append", default=[], help="first_paint|scroll|cold_start|sync_latency")
    parser.add_argument("--profile", action="store_true", help="cProfile each part (to stderr)")
    parser.add_argument(
        "--no-gc-freeze", action="store_true", help="sync_latency without app.freeze_startup_objects (the before)"
    )
    parser.add_argument(
        "--no-compile", action="store_true", help="do not compile the modules to bytecode first (measure as found)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    resolve_base_args(args)
    # the window's settings (geometry, team) go to a scratch folder, not the person's own
    os.environ["XDG_CONFIG_HOME"] = str(args.work_dir / "ui-perf-config")
    quick = args.quick
    page_steps = args.page_steps if args.page_steps is not None else (40 if quick else 300)
    drag_steps = args.drag_steps if args.drag_steps is not None else (50 if quick else 500)
    cold_runs = args.cold_runs if args.cold_runs is not None else (1 if quick else 3)
    sync_seconds = args.sync_seconds if args.sync_seconds is not None else (8.0 if quick else 30.0)
    scale = args.scale if args.scale is not None else (2000 if quick else 50_000)

    bytecode = "as found" if args.no_compile else compile_bytecode()
    base = ensure_base_cache(args.base_cache, args.base_items)
    work = args.work_dir / "ui-perf.sqlite"
    log(f"copying the base to {work} ...")
    copy_cache(args.base_cache, work)
    result: dict[str, Any] = {
        "benchmark": "ui_perf",
        "machine": machine_info(),
        "qt_platform": os.environ.get("QT_QPA_PLATFORM"),
        "base": base,
        "params": {
            "page_steps": page_steps,
            "drag_steps": drag_steps,
            "cold_runs": cold_runs,
            "sync_seconds": sync_seconds,
            "scale": scale,
            "bytecode": bytecode,
            "dont_write_bytecode": bool(sys.flags.dont_write_bytecode),
        },
        "targets": TARGETS,
    }
    try:
        import PySide6

        result["machine"]["pyside6"] = PySide6.__version__
        # the person at the desk is created once (a write), outside every timing
        from omniinbox.store.cache import Cache
        from omniinbox.usecases import current_user

        with Cache.open(work) as cache:
            current_user(cache)

        if "first_paint" not in args.skip or "scroll" not in args.skip:
            log("first paint ...")
            w = Window(work, poll_ms=0)
            first = w.wait_first_paint()
            result["first_paint"] = {"ms": round(first, 1), "phases": {k: round(v, 1) for k, v in w.phases.items()}}
            log(f"  {first:.1f} ms")
            if "scroll" not in args.skip:
                log("scrolling ...")
                result["scroll"] = profiled(
                    args.profile, "scroll", lambda: measure_scroll(w, page_steps, drag_steps, None)
                )
            result["memory"] = rss_mb()
            w.close()
        if "cold_start" not in args.skip:
            log("cold starts ...")
            result["cold_start"] = measure_cold_start(work, cold_runs)
        if "sync_latency" not in args.skip:
            log(f"event-loop latency during a sync ({sync_seconds:.0f} s) ...")
            freeze = not args.no_gc_freeze
            result["sync_latency"] = profiled(
                args.profile, "sync", lambda: measure_sync_latency(work, sync_seconds, scale, freeze=freeze)
            )
    finally:
        remove_cache_files(work)
        shutil.rmtree(args.work_dir / "ui-perf-config", ignore_errors=True)

    met: dict[str, bool] = {}
    if "first_paint" in result:
        met["first_paint"] = result["first_paint"]["ms"] <= TARGETS["first_paint_ms"]
    if "scroll" in result:
        met["scroll_frame_p95"] = result["scroll"]["frames"]["p95_ms"] <= TARGETS["scroll_frame_p95_ms"]
    if "memory" in result:
        met["memory"] = result["memory"]["peak_rss_mb"] <= TARGETS["rss_mb"]
    if "cold_start" in result:
        met["cold_start"] = result["cold_start"]["median_s"] <= TARGETS["cold_start_s"]
    if "sync_latency" in result:
        met["no_stall_over_50ms"] = result["sync_latency"]["stalls_over_50ms"] == 0
    result["targets_met"] = met
    result["all_met"] = all(met.values())
    emit(result)


if __name__ == "__main__":
    main()
