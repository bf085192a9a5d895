"""ONNX compiler: quantized models (QDQ or QOperator form, or float models via `quantize`) lowered onto
accelerator GEMM layers and host steps, run through a pluggable `GemmExecutor`.  See docs/compiler.md."""

from .errors import CompilerError, InputError, ModelError, UnsupportedOpError
from .gemm_executor import ConvGeometry, GemmCall, GemmExecutor, GemmResult, ReferenceGemmExecutor, Requant
from .lowering import compile_model
from .program import CompiledModel, RunResult, StepReport
from .quantize import quantize

__all__ = [
    "CompilerError", "InputError", "ModelError", "UnsupportedOpError",
    "ConvGeometry", "GemmCall", "GemmExecutor", "GemmResult", "ReferenceGemmExecutor", "Requant",
    "compile_model", "CompiledModel", "RunResult", "StepReport", "quantize",
]
