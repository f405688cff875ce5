import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def cli():
    """Runs the xbarsim CLI built beside the module (path from ctest)."""
    exe = os.environ.get("XBARSIM_CLI")
    if not exe:
        pytest.skip("XBARSIM_CLI not set (run through ctest)")

    def run(*args, check=True, cwd=None):
        proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=300,
                              cwd=cwd)
        if check and proc.returncode != 0:
            raise AssertionError(f"xbarsim {' '.join(map(str, args))} failed: {proc.stderr}")
        return proc

    return run
