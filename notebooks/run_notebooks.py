#!/usr/bin/env python3
"""Executes every notebook of this folder from a clean kernel, headless, and fails on the
first cell that fails. The notebooks are not modified; executed copies go to OUT_DIR.

    python3 notebooks/run_notebooks.py [OUT_DIR]

Run with the Python of a virtual environment holding notebooks/requirements.txt (.ci/run does).
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(HERE.glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    for path in notebooks:
        started = time.monotonic()
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
        try:
            client.execute()
        except CellExecutionError as error:
            print(f"{path.name}: a cell failed\n{error}", file=sys.stderr)
            return 1
        finally:
            nbformat.write(notebook, out_dir / path.name)
        print(f"{path.name}: ran in {time.monotonic() - started:.1f} s -> {out_dir / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/vader-notebooks")))
