"""Turn the store's records into the sweep's results: per-point summaries, CSV rows, JSON.

`results.csv` has one row per point x workload x layer, one `TOTAL` row per point x workload and one
`ALL`/`TOTAL` row per point (the point's totals over its workloads); a failed point is one row with
its error.  `area` is the area model's figure (kGE from Yosys, see `dse/area.py`; empty without an
area model; the transistor-count proxy has its own column), `fmax_mhz` stays empty (FPGA timing is
not part of a sweep); `measured_cycles`/`model_error` are filled where an expensive evaluator ran.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from .evaluate import layer_rows
from .pareto import pareto_ranks

__all__ = ["CSV_COLUMNS", "build_results", "csv_rows", "csv_text", "metric_value", "write_atomic"]

LAYER_FIELDS = ("kind", "M", "N", "K", "groups", "macs", "cycles", "utilization",
                "mapping_efficiency", "compute_utilization", "dram_read_bytes",
                "dram_write_bytes", "sram_read_bytes", "sram_write_bytes")
SUMMED = ("cycles", "macs", "dram_read_bytes", "dram_write_bytes", "sram_read_bytes",
          "sram_write_bytes")
CSV_COLUMNS = (["point_id", "point_index", "status", "error", "config_hash", "mode",
                "model_dataflow", "workload", "layer_index", "layer"] + list(LAYER_FIELDS) +
               ["dram_bytes", "area", "area_proxy_mtr", "fmax_mhz", "measured_cycles",
                "model_error", "pareto_rank", "wall_time_s"])


def _totals(workloads: dict[str, dict], pes: int) -> dict[str, Any]:
    out = {k: sum(w["totals"][k] for w in workloads.values()) for k in SUMMED}
    out["utilization"] = out["macs"] / (out["cycles"] * pes)
    out["dram_bytes"] = out["dram_read_bytes"] + out["dram_write_bytes"]
    return out


def metric_value(point: dict[str, Any], metric: str) -> float:
    """A network-level metric of an ok point: `name` (all workloads) or `name@workload`."""
    name, _, label = metric.partition("@")
    if name in ("area_proxy_mtr", "area"):
        return point[name]
    if label:
        w = point["workloads"][label]
        totals = dict(w["totals"])
        totals["dram_bytes"] = totals["dram_read_bytes"] + totals["dram_write_bytes"]
        return totals[name]
    return point["totals"][name]


def build_results(points_order: list[str], analytic: dict[str, dict], expensive: dict[str, dict],
                  objectives: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    """One summary per point, in sweep order, with Pareto ranks over the ok points."""
    results = []
    for pid in points_order:
        record = analytic[pid]
        point = {k: record.get(k) for k in ("id", "index", "params", "status", "error", "config",
                                            "config_hash", "area_proxy_mtr", "area",
                                            "area_detail", "wall_time_s")}
        point.update(fmax_mhz=None, pareto_rank=None)
        if record["status"] == "ok":
            workloads = {label: {**w, "layers": layer_rows(w["layers"])}
                         for label, w in record["workloads"].items()}
            any_w = next(iter(workloads.values()))
            point["totals"] = _totals(workloads, any_w["rows"] * any_w["cols"])
            point["workloads"] = workloads
            _attach_measurements(point, expensive.get(pid))
        results.append(point)
    ok = [p for p in results if p["status"] == "ok"]
    if ok:
        values = [[metric_value(p, m) for m, _ in objectives] for p in ok]
        for point, rank in zip(ok, pareto_ranks(values, [s for _, s in objectives])):
            point["pareto_rank"] = rank
    return results


def _attach_measurements(point: dict[str, Any], record: dict | None) -> None:
    if record is None:
        return
    point["expensive"] = {k: record.get(k) for k in ("evaluator", "status", "error",
                                                     "wall_time_s")}
    if record["status"] != "ok":
        return
    errors = []
    for label, cycles in record["measured"].items():
        for layer, measured in zip(point["workloads"][label]["layers"], cycles):
            layer["measured_cycles"] = measured
            layer["model_error"] = (layer["cycles"] - measured) / measured if measured else None
            if layer["model_error"] is not None:
                errors.append(abs(layer["model_error"]))
    point["expensive"]["mean_abs_model_error"] = sum(errors) / len(errors) if errors else None


def csv_rows(results: list[dict[str, Any]], param_names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for p in results:
        common = {"point_id": p["id"], "point_index": p["index"], "status": p["status"],
                  "error": p.get("error") or "", "config_hash": p.get("config_hash") or "",
                  "area": _blank(p.get("area")), "area_proxy_mtr": p.get("area_proxy_mtr") or "",
                  "fmax_mhz": "",
                  "pareto_rank": "" if p["pareto_rank"] is None else p["pareto_rank"],
                  **{name: p["params"].get(name, "") for name in param_names}}
        if p["status"] != "ok":
            rows.append({**common, "wall_time_s": p.get("wall_time_s")})
            continue
        for label, w in p["workloads"].items():
            where = {**common, "mode": w["mode"], "model_dataflow": w["dataflow"],
                     "workload": label}
            for index, layer in enumerate(w["layers"]):
                row = {**where, "layer_index": index, "layer": layer["name"],
                       **{f: layer[f] for f in LAYER_FIELDS},
                       "dram_bytes": layer["dram_read_bytes"] + layer["dram_write_bytes"],
                       "measured_cycles": layer.get("measured_cycles", ""),
                       "model_error": _blank(layer.get("model_error"))}
                rows.append(row)
            totals = w["totals"]
            rows.append({**where, "layer": "TOTAL", **{f: totals[f] for f in SUMMED},
                         "utilization": totals["utilization"],
                         "mapping_efficiency": totals["mapping_efficiency"],
                         "dram_bytes": totals["dram_read_bytes"] + totals["dram_write_bytes"]})
        rows.append({**common, "mode": w["mode"], "model_dataflow": w["dataflow"],
                     "workload": "ALL", "layer": "TOTAL", **{f: p["totals"][f] for f in SUMMED},
                     "utilization": p["totals"]["utilization"],
                     "dram_bytes": p["totals"]["dram_bytes"], "wall_time_s": p["wall_time_s"]})
    return rows


def _blank(value: Any) -> Any:
    return "" if value is None else value


def csv_text(results: list[dict[str, Any]], param_names: list[str]) -> str:
    columns = CSV_COLUMNS[:4] + param_names + CSV_COLUMNS[4:]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(results, param_names))
    return buffer.getvalue()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temporary file and rename, so readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
