"""The code blocks of docs/api.md and docs/tiling.md run (each page as one script; the blocks'
own asserts check the results)."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", ["api.md", "tiling.md"])
def test_doc_code_blocks_run(page, capsys):
    text = (DOCS / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOCS / page), "exec"), namespace)
    assert capsys.readouterr().out            # the examples print what they show
