"""``./dvk run`` supervises its processes (scripts/supervise.sh): a worker or beat that dies
is started again, with a growing pause while it keeps dying; any other process that stops
(the web) ends the run. Real processes in a real bash, killed with real signals."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bash(script: str, tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail\nLOG_DIR={tmp_path}\n{textwrap.dedent(script)}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_killed_worker_and_a_crashing_beat_are_started_again_until_the_web_stops(tmp_path):
    starts = tmp_path / "starts"
    result = run_bash(
        f"""
        source scripts/supervise.sh
        SUPERVISE_MAX_DELAY=1
        # The worker writes its pid and waits; the test kills it twice with SIGKILL.
        start_bg worker bash -c 'echo "worker $$" >> {starts}; exec sleep 60'
        # Beat exits at once with an error, every time.
        start_bg beat bash -c 'echo "beat $$" >> {starts}; exit 3'
        start_bg web sleep 10
        (
            for round in 1 2; do
                sleep 3
                kill -KILL "$(grep worker {starts} | tail -n 1 | cut -d' ' -f2)"
            done
        ) &
        status=0
        supervise || status=$?
        echo "supervise returned $status"
        stop_all
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "supervise returned 1" in result.stdout
    lines = starts.read_text().splitlines()
    workers = [line for line in lines if line.startswith("worker")]
    beats = [line for line in lines if line.startswith("beat")]
    assert len(workers) == 3, lines  # started, killed twice, started again each time
    assert len(set(workers)) == 3  # three distinct processes
    # Beat died at once each time: restarted after 1 s pauses (capped), several times.
    assert 3 <= len(beats) <= 10, lines
    assert "dvk: worker stopped (exit 137" in result.stderr
    assert "dvk: beat stopped (exit 3" in result.stderr
    assert "dvk: web stopped (exit 0)" in result.stderr
    assert "restarting it in" in (tmp_path / "worker.log").read_text()
    # Nothing is left running: stop_all ended the last worker.
    last_worker = int(workers[-1].split()[1])
    assert not Path(f"/proc/{last_worker}").exists() or (
        Path(f"/proc/{last_worker}/stat").read_text().split()[2] == "Z"
    )


def test_the_pause_grows_while_a_process_keeps_dying(tmp_path):
    result = run_bash(
        """
        source scripts/supervise.sh
        SUPERVISE_MAX_DELAY=2
        start_bg beat false
        start_bg web sleep 14
        supervise || true
        stop_all
        """,
        tmp_path,
    )
    delays = [
        int(line.split("restarting it in ")[1].split()[0])
        for line in result.stderr.splitlines()
        if "restarting it in" in line
    ]
    assert delays[:4] == [1, 2, 2, 2], result.stderr
