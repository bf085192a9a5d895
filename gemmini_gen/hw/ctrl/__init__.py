"""Control of the full accelerator: front end, reservation station, load/execute/store controllers
and counters (docs/accelerator.md).  `interface` holds the port layouts of `Accelerator`."""
