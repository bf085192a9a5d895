"""Performance models and workloads (see docs/perf.md).

    from gemmini_gen.perf import estimate, load_workload
    est = estimate(load_workload("resnet18"), preset("default"), mode="scalesim", dataflow="ws")
    est.total_cycles, est.layers[0].utilization
"""

from .area_proxy import area_proxy_mtr
from .estimate import (Estimate, LayerEstimate, ModelError, PerfModel, estimate, get_model,
                       model_names, register_model)
from .gemmini_model import GemminiModel
from .layer import ConvShape, Layer, LayerError, LayerKind
from .model_params import GemminiModelParams
from .scalesim_model import ScaleSimModel
from .workload import (Workload, WorkloadError, builtin_workloads, load_workload, register_loader,
                       workload_from_lowering)

__all__ = [
    "ConvShape", "Estimate", "GemminiModel", "GemminiModelParams", "Layer", "LayerError",
    "LayerEstimate", "LayerKind", "ModelError", "PerfModel", "ScaleSimModel", "Workload",
    "WorkloadError", "area_proxy_mtr", "builtin_workloads", "estimate", "get_model",
    "load_workload", "model_names", "register_loader", "register_model",
    "workload_from_lowering",
]
