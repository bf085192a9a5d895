"""Amaranth hardware of the accelerator (imports only `gemmini_gen.config` and `gemmini_gen.hw.*`)."""
