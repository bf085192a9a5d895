"""Built-in workloads shipped with the package (see SOURCE.md); load them by name with
`gemmini_gen.perf.load_workload("resnet18")`."""
