"""Profile a server under load with py-spy, and summarize where the time goes.

`make bench BENCH_PROFILE=1` (or `python -m bench.run --profile`) repeats each
server scenario once more after its measured run, with py-spy attached
(`--gil`: only the thread holding the GIL, i.e. where Python time goes), and
writes bench/work/profile/<scenario>.svg (flame graph) and .txt (the top
frames, inclusive and self). The measured figures never run under py-spy.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import threading
from pathlib import Path

_TRIM = [
    (re.compile(r"/[^ ;()]*/site-packages/"), ""),
    (re.compile(r"/usr/lib/python3\.\d+/"), "stdlib/"),
    (re.compile(r"/[^ ;()]*/server/threada/"), "threada/"),
    (re.compile(r":\d+\)"), ")"),
]
# Frames that wrap everything (process start, thread start, the event loop runner).
_NOISE = re.compile(
    r"^(<module>|Thread\.|_worker |Command\.|Group\.|Context\.invoke|Runner\.run|asyncio_run|"
    r"run \(uvicorn|serve \(|Server\.run|_WorkItem\.run)"
)


def _frame(text: str) -> str:
    for pattern, repl in _TRIM:
        text = pattern.sub(repl, text)
    return text


def summarize(raw: Path, top: int = 40) -> str:
    """Top frames by inclusive and by self share from py-spy's raw (collapsed) output."""
    incl: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        for f in set(frames):
            incl[f] += n
        own[frames[-1]] += n
    if not total:
        return "no samples\n"
    out = [f"{total} samples (GIL holder only)", "", "inclusive:"]
    shown = [(f, n) for f, n in incl.most_common() if not _NOISE.match(f)][:top]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in shown]
    out += ["", "self:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top // 2)]
    return "\n".join(out) + "\n"


def record(pid: int, seconds: float, out_dir: Path, name: str, load) -> Path:
    """Run `load()` while py-spy samples `pid`; returns the summary file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    secs = str(max(1, int(seconds) - 1))
    common = ["--pid", str(pid), "--duration", secs, "--rate", "250", "--gil", "--nonblocking"]
    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    procs = [
        subprocess.Popen(
            [spy, "record", *common, "--format", fmt, "-o", str(out_dir / f"{name}.{ext}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fmt, ext in (("flamegraph", "svg"), ("raw", "raw"))
    ]
    for p in procs:
        p.wait()
    worker.join()
    summary = out_dir / f"{name}.txt"
    summary.write_text(summarize(out_dir / f"{name}.raw"))
    return summary
