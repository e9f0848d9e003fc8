"""bandit finds no high-severity issue in the product code."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_reports_no_high_severity_issue():
    exe = Path(sys.executable).with_name("bandit")
    r = subprocess.run([str(exe), "-q", "-r", str(ROOT / "src"), "-lll", "-f", "txt"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Severity: High" not in r.stdout
