"""Legal test programs for any `GemminiConfig`, validated on the golden model.

```python
case = random_case(cfg, seed=7, commands=500)        # constrained-random legal program
case = DIRECTED["matmul_ws"](cfg, seed=0)            # a directed program (None if not applicable)
golden = get_backend("golden", cfg).run(case.program, case.memory)
rtl = get_backend("rtl", cfg).run(case.program, case.memory)
assert_same_results(case, golden, rtl)               # whole memory + read-back + responses
```
Every case ends with read-back MVOUTs of each scratchpad/accumulator row the program wrote (see
`readback.py`), so comparing final memories also compares local state.
"""

from .case import ProgramCase, ReadbackBlock
from .compare import assert_same_results, compare_results
from .directed import DIRECTED, directed_cases
from .random_gen import GeneratorOptions, random_case
from .walk import Footprint, local_footprint, program_stats
from .readback import clean_slate, with_readback, written_rows

__all__ = [
    "DIRECTED", "Footprint", "GeneratorOptions", "ProgramCase", "ReadbackBlock",
    "assert_same_results", "clean_slate", "compare_results", "directed_cases", "local_footprint",
    "program_stats",
    "random_case", "with_readback", "written_rows",
]
