"""Run the four benchmarks, one process each, over the same base cache (built first if missing),
and print one combined JSON object: every script's result plus a summary of the targets.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only import_rate --only db_size ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from _common import BENCH_DIR, add_base_args, emit, ensure_base_cache, log, machine_info, resolve_base_args

BENCHMARKS = ("import_rate", "search_latency", "page_fetch", "db_size")


def run_one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(BENCH_DIR / f"{name}.py"),
        "--base-items",
        str(args.base_items),
        "--base-cache",
        str(args.base_cache),
        "--work-dir",
        str(args.work_dir),
    ]
    if args.quick:
        cmd.append("--quick")
    if name == "db_size" and args.what_if:
        cmd.append("--what-if")
    log(f"== {name}: {' '.join(cmd[1:])}")
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    seconds = round(time.perf_counter() - started, 1)
    if proc.returncode != 0:
        return {"error": f"exit status {proc.returncode}", "wall_seconds": seconds}
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        return {"error": f"no JSON on stdout: {exc}", "stdout": proc.stdout[-2000:], "wall_seconds": seconds}
    result["wall_seconds"] = seconds
    return result


def summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline figure of each benchmark and whether its targets were met."""
    out: dict[str, Any] = {}
    if "targets" in (r := results.get("import_rate", {})):
        out["import_rate"] = {
            "items_per_s": r["items_per_s"],
            "ratio": r["ratio"],
            "replay_items_written": r["replay_items_written"],
            "met": r["targets"]["met_rate"] and r["targets"]["met_ratio"] and r["targets"]["met_replay_writes_nothing"],
            "met_goal": r["targets"]["met_goal"],
        }
    if "targets" in (r := results.get("search_latency", {})):
        out["search_latency"] = {
            "p95_ms": {name: s["p95_ms"] for name, s in r["shapes"].items()},
            "met": r["targets"]["met"],
            "missed": r["targets"]["missed"],
        }
    if "targets" in (r := results.get("page_fetch", {})):
        out["page_fetch"] = {
            "worst_p95_ms": r["worst_p95_ms"],
            "met": r["targets"]["met"],
            "missed": r["targets"]["missed"],
        }
    if "targets" in (r := results.get("db_size", {})):
        out["db_size"] = {"gb_per_million_items": r["gb_per_million_items"], "met": r["targets"]["met"]}
    for name, r in results.items():
        if "error" in r:
            out[name] = {"error": r["error"], "met": False}
    out["all_met"] = all(v.get("met", False) for v in out.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_base_args(parser)
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these (repeatable)")
    parser.add_argument("--what-if", action="store_true", help="pass --what-if to db_size")
    args = parser.parse_args()
    resolve_base_args(args)

    base = ensure_base_cache(args.base_cache, args.base_items)
    results = {name: run_one(name, args) for name in BENCHMARKS if not args.only or name in args.only}
    emit(
        {
            "benchmark": "run_all",
            "machine": machine_info(),
            "params": {"base_items": args.base_items, "base_cache": base, "quick": args.quick},
            "summary": summary(results),
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
