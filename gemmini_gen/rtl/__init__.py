"""The `rtl` backend and its verification kit.

* `programs`  legal test programs for any config: directed programs mirroring Gemmini's bare-metal
              tests, a constrained-random program generator, local-state read-back and an
              RTL-vs-golden comparison (pure Python: no Amaranth, no simulator needed)
* `harness`   the Amaranth simulation top around `gemmini_gen.hw.accelerator.Accelerator`
* `backend`   `RtlBackend`: `run(program, memory) -> RunResult` on a cached Verilator build

Importing this package imports neither Amaranth nor cocotb; `harness` and `backend` do.
"""
