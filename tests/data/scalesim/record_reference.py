"""Record SCALE-Sim's own reports for the layers in this folder (reference data for tests/perf).

Run with a Python that has the real simulator installed (it needs numpy<2, so keep it out of the
project's virtualenv):

    python3 -m venv /work/scalesim-venv
    /work/scalesim-venv/bin/pip install "numpy<2" scalesim==3.0.0
    /work/scalesim-venv/bin/python tests/data/scalesim/record_reference.py \
        --out tests/data/scalesim/reference_v3.csv

and the same with `scalesim==2.0.2` in /work/scalesim2-venv for `reference_v2.csv` (v2 has no
layout file and no "incl. prefetch" column).

For every array shape and dataflow below it runs SCALE-Sim on `ref_conv.csv` (conv mode) and
`ref_gemm.csv` (`-i gemm` mode) and writes one row per layer with the COMPUTE_REPORT and
DETAILED_ACCESS_REPORT figures.  The SRAMs are made large and the interface bandwidth is CALC (the
simulator's default), so no stalls occur and every DRAM figure is compulsory traffic.  This script
imports nothing from gemmini_gen.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import inspect
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARRAYS = [(4, 4), (8, 8), (16, 16), (4, 12), (12, 4), (5, 7)]
DATAFLOWS = ["os", "ws", "is"]
TOPOLOGIES = [("ref_conv.csv", False), ("ref_gemm.csv", True)]

CONFIG = """\
[general]
run_name = run

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 6144
FilterSramSzkB: 6144
OfmapSramSzkB: 2048
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: {dataflow}
Bandwidth: 10
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

# Header of a SCALE-Sim v3 layout file; with custom layouts off it is only parsed, never used.
LAYOUT_HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, "
                 "Filter Height Intraline Factor,\n")

COLUMNS = ["topology", "dataflow", "rows", "cols", "layer_id", "layer_name",
           "total_cycles_incl_prefetch", "total_cycles", "stall_cycles", "overall_util_pct",
           "mapping_efficiency_pct", "compute_util_pct", "ifmap_sram_reads", "filter_sram_reads",
           "ofmap_sram_writes", "ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes"]


def read_report(path: Path) -> list[list[str]]:
    with path.open() as f:
        rows = list(csv.reader(f))
    return [[cell.strip() for cell in row if cell.strip() != ""] for row in rows[1:] if row]


def run_one(topology: Path, gemm: bool, rows: int, cols: int, dataflow: str,
            work: Path) -> list[dict]:
    from scalesim.scale_sim import scalesim

    config = work / f"{rows}x{cols}_{dataflow}.cfg"
    config.write_text(CONFIG.format(rows=rows, cols=cols, dataflow=dataflow))
    layout = work / "layout.csv"
    layout.write_text(LAYOUT_HEADER)
    out = work / f"out_{topology.stem}_{rows}x{cols}_{dataflow}"
    kwargs = {"layout": str(layout)} if "layout" in inspect.signature(scalesim).parameters else {}
    sim = scalesim(save_disk_space=True, verbose=False, config=str(config),
                   topology=str(topology), input_type_gemm=gemm, **kwargs)
    sim.run_scale(top_path=str(out))
    names = sim.topo.get_layer_names()
    compute = read_report(out / "run" / "COMPUTE_REPORT.csv")
    detail = read_report(out / "run" / "DETAILED_ACCESS_REPORT.csv")
    records = []
    for name, c, d in zip(names, compute, detail, strict=True):
        if len(c) == 6:     # SCALE-Sim v2 reports no "Total Cycles (incl. prefetch)" column
            c = c[:1] + [""] + c[1:]
        records.append({
            "topology": topology.name, "dataflow": dataflow, "rows": rows, "cols": cols,
            "layer_id": int(c[0]), "layer_name": name,
            "total_cycles_incl_prefetch": c[1] and int(float(c[1])), "total_cycles": int(float(c[2])),
            "stall_cycles": int(float(c[3])), "overall_util_pct": c[4],
            "mapping_efficiency_pct": c[5], "compute_util_pct": c[6],
            "ifmap_sram_reads": int(float(d[3])), "filter_sram_reads": int(float(d[6])),
            "ofmap_sram_writes": int(float(d[9])), "ifmap_dram_reads": int(float(d[12])),
            "filter_dram_reads": int(float(d[15])), "ofmap_dram_writes": int(float(d[18])),
        })
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    version = importlib.metadata.version("scalesim")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for topo_name, gemm in TOPOLOGIES:
            for rows, cols in ARRAYS:
                for dataflow in DATAFLOWS:
                    records += run_one(HERE / topo_name, gemm, rows, cols, dataflow, Path(tmp))
    with args.out.open("w", newline="") as f:
        f.write(f"# scalesim {version}; produced by tests/data/scalesim/record_reference.py\n")
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    print(f"wrote {len(records)} rows to {args.out}")


if __name__ == "__main__":
    main()
