"""Start-up with bad settings stops with a message naming each variable, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bad_settings_stop_python_main_with_the_variable_names(tmp_path: Path) -> None:
    env = os.environ | {
        "LECTERN_DATA_DIR": str(tmp_path),
        "LECTERN_ACCESS_TOKEN_MINUTES": "soon",
        "LECTERN_SECRET_KEY": "changeme",
    }
    done = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Lectern cannot start because of its settings" in done.stderr
    assert "LECTERN_ACCESS_TOKEN_MINUTES: Input should be a valid integer" in done.stderr
    assert "LECTERN_SECRET_KEY is a placeholder" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "app.db").exists()  # nothing was created
