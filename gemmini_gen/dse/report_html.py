"""The sweep's HTML report: matplotlib plots (also written as PNGs) inlined into one HTML file.

Plots: the Pareto front of total cycles vs area (the area model's, else the transistor-count
proxy), utilization per layer for the front's points, the best cycles per array size and dataflow,
and -- where an expensive evaluator ran -- the model error per layer.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .pareto import pareto_front  # noqa: E402
from .results import metric_value, write_atomic  # noqa: E402

__all__ = ["write_html_report"]

MAX_LINES = 6


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "base config"


def _area(point: dict[str, Any]) -> float:
    return point["area"] if point.get("area") is not None else point["area_proxy_mtr"]


def _cycles_vs_area_front(ok: list[dict]) -> list[dict]:
    values = [[p["totals"]["cycles"], _area(p)] for p in ok]
    front = [ok[i] for i in pareto_front(values, ["min", "min"])]
    return sorted(front, key=_area)


def plot_pareto(ok: list[dict], front: list[dict]) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    dataflows = sorted({str(p["config"]["dataflow"]) for p in ok})
    for df in dataflows:
        pts = [p for p in ok if str(p["config"]["dataflow"]) == df]
        ax.scatter([_area(p) for p in pts], [p["totals"]["cycles"] for p in pts], s=14,
                   alpha=0.6, label=f"dataflow {df}")
    ax.plot([_area(p) for p in front], [p["totals"]["cycles"] for p in front], "k.-", lw=1,
            label="Pareto front")
    for p in front:
        ax.annotate(f"DIM {p['config']['tile_rows'] * p['config']['mesh_rows']}",
                    (_area(p), p["totals"]["cycles"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    if ok[0].get("area") is None:
        ax.set_xlabel("area proxy (M transistors)")
    else:
        unit = (ok[0].get("area_detail") or {}).get("unit")
        ax.set_xlabel(f"area ({unit})" if unit else "area")
    ax.set_ylabel("total cycles (all workloads)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Cycles vs area")
    fig.tight_layout()
    return _png(fig)


def plot_utilization(front: list[dict], labels: list[str]) -> bytes:
    fig, axes = plt.subplots(len(labels), 1, figsize=(8, 2.6 * len(labels)), squeeze=False)
    chosen = front[:: max(1, len(front) // MAX_LINES)][:MAX_LINES]
    for ax, label in zip(axes[:, 0], labels):
        for p in chosen:
            layers = p["workloads"][label]["layers"]
            ax.plot(range(len(layers)), [l["utilization"] for l in layers], ".-", lw=1,
                    label=_label(p["params"]))
        ax.set_title(f"{label}: utilization per layer (Pareto-front points)", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("layer index", fontsize=8)
        ax.set_ylabel("utilization", fontsize=8)
        ax.grid(alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=7, loc="lower center",
               ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.04 + 0.025 * ((len(chosen) + 1) // 2), 1, 1))
    return _png(fig)


def plot_cycles_by_dim(ok: list[dict], labels: list[str]) -> bytes:
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 3.6), squeeze=False)
    for ax, label in zip(axes[0], labels):
        best: dict[tuple[str, int], int] = {}
        for p in ok:
            key = (p["workloads"][label]["dataflow"].upper(),
                   p["config"]["tile_rows"] * p["config"]["mesh_rows"])
            cycles = p["workloads"][label]["totals"]["cycles"]
            best[key] = min(best.get(key, cycles), cycles)
        for df in sorted({k[0] for k in best}):
            dims = sorted(d for f, d in best if f == df)
            ax.plot(dims, [best[(df, d)] for d in dims], "o-", label=f"{df}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("DIM")
        ax.set_ylabel("best cycles")
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, title="dataflow", title_fontsize=8)
    fig.tight_layout()
    return _png(fig)


def plot_model_error(measured: list[dict], labels: list[str]) -> bytes:
    fig, axes = plt.subplots(len(labels), 1, figsize=(8, 2.6 * len(labels)), squeeze=False)
    for ax, label in zip(axes[:, 0], labels):
        for p in measured[:MAX_LINES]:
            errors = [100 * (l.get("model_error") or 0) for l in p["workloads"][label]["layers"]]
            ax.plot(range(len(errors)), errors, ".-", lw=1, label=_label(p["params"]))
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{label}: model error per layer (model vs expensive evaluator)", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("error %", fontsize=8)
        ax.grid(alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=7, loc="lower center",
               ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.04 + 0.025 * ((min(len(measured), MAX_LINES) + 1) // 2), 1, 1))
    return _png(fig)


def write_html_report(out_dir: Path, title: str, results: list[dict], labels: list[str],
                      objectives: tuple[tuple[str, str], ...], provenance: dict[str, Any]) -> None:
    ok = [p for p in results if p["status"] == "ok"]
    failed = [p for p in results if p["status"] != "ok"]
    images: list[tuple[str, str, bytes]] = []
    if ok:
        front = _cycles_vs_area_front(ok)
        images += [("pareto.png", "Pareto front: cycles vs area", plot_pareto(ok, front)),
                   ("utilization_per_layer.png", "Utilization per layer",
                    plot_utilization(front, labels)),
                   ("cycles_by_dim_dataflow.png", "Cycles by array size and dataflow",
                    plot_cycles_by_dim(ok, labels))]
        measured = [p for p in ok if p.get("expensive", {}).get("status") == "ok"]
        if measured:
            images.append(("model_error.png", "Model error where the expensive evaluator ran",
                           plot_model_error(measured, labels)))
    for name, _, data in images:
        write_atomic(out_dir / name, data)

    e = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
             "table{border-collapse:collapse;font-size:85%}td,th{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}th{background:#eee}img{max-width:100%}"
             "</style></head><body>",
             f"<h1>{e(title)}</h1>",
             f"<p>{len(results)} points: {len(ok)} evaluated, {len(failed)} failed. "
             f"Objectives: {e(', '.join(f'{s} {m}' for m, s in objectives))}.</p>"]
    if ok:
        w = next(iter(ok[0]["workloads"].values()))
        model = ", ".join(f"{k} = {v}" for k, v in w.get("model", {}).items())
        parts.append(f"<p>Model: <b>{e(w['mode'])}</b> mode ({e(model)}).</p>")
    for name, caption, data in images:
        encoded = base64.b64encode(data).decode()
        parts.append(f"<h2>{e(caption)}</h2><img alt='{e(name)}' "
                     f"src='data:image/png;base64,{encoded}'>")
    front_points = sorted((p for p in ok if p["pareto_rank"] == 0), key=lambda p: p["index"])
    if front_points:
        head = "".join(f"<th>{e(m)}</th>" for m, _ in objectives)
        parts.append(f"<h2>Pareto front ({len(front_points)} points)</h2><table><tr><th>point"
                     f"</th><th>parameters</th>{head}<th>utilization</th></tr>")
        for p in front_points:
            cells = "".join(f"<td>{metric_value(p, m):.4g}</td>" for m, _ in objectives)
            parts.append(f"<tr><td>{e(p['id'])}</td><td>{e(_label(p['params']))}</td>{cells}"
                         f"<td>{p['totals']['utilization']:.3f}</td></tr>")
        parts.append("</table>")
    if failed:
        parts.append("<h2>Failed points</h2><table><tr><th>point</th><th>parameters</th>"
                     "<th>reason</th></tr>")
        parts += [f"<tr><td>{e(p['id'])}</td><td>{e(_label(p['params']))}</td>"
                  f"<td style='text-align:left'>{e(p.get('error') or '')}</td></tr>"
                  for p in failed]
        parts.append("</table>")
    parts.append("<h2>Provenance</h2><table>")
    for key, value in provenance.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        parts.append(f"<tr><th>{e(str(key))}</th><td style='text-align:left'>"
                     f"{e(str(value))}</td></tr>")
    parts.append("</table></body></html>\n")
    write_atomic(out_dir / "report.html", "".join(parts))
