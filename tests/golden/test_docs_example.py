"""The runnable example in docs/golden.md stays runnable (its own asserts check the results)."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "golden.md"


def test_golden_doc_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert "compute_preloaded" in out and "'mvin': 1" in out and "64" in out
