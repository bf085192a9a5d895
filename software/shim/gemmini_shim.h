/* gemmini_shim.h: run a native C program's Gemmini commands on gemmini-gen's backends.

   Include this header instead of gemmini.h (it includes gemmini.h) and link gemmini_shim.c:

       gcc -Ibuild -Isoftware/shim prog.c software/shim/gemmini_shim.c -o prog
       GEMMINI_BACKEND=golden ./prog

   Each Gemmini macro appends its command to a buffer.  gemmini_fence(), counter_read() and the
   other COUNTER operations, gemmini_shim_release() and the end of the program hand the buffered
   commands and the bytes of every registered buffer to a Python server
   (python -m gemmini_gen.software.shim), which runs them on the golden model or the RTL with the
   host's virtual addresses as the accelerator's physical addresses, and copies back the buffers
   the accelerator changed.  Every DRAM address a command names must lie in a registered buffer.

   Environment: GEMMINI_BACKEND (golden | rtl; default golden), GEMMINI_CONFIG (preset name or
   config file; default: the preset whose hash gemmini_params.h records), GEMMINI_PYTHON (the
   interpreter; default python3), GEMMINI_SHIM_LOG (a file for the server's log).  An illegal
   command or a backend failure prints one line "gemmini-shim: error: ..." and exits with
   status 2.  See docs/software.md. */
#ifndef GEMMINI_SHIM_H
#define GEMMINI_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Buffer one command (issued at source line `file`:`line`); runs the buffered commands when it
   is a FENCE or a COUNTER.  Returns the COUNTER response, else 0. */
uint64_t gemmini_shim_cmd(uint64_t funct, uint64_t rs1, uint64_t rs2, const char *file, int line);

/* Make [ptr, ptr + bytes) accelerator-visible memory.  Registering the same range twice is
   harmless; overlapping ranges are merged.  Only buffers the accelerator writes are copied back,
   so read-only data may be registered too. */
void gemmini_shim_buffer(const void *ptr, size_t bytes);

/* Run the buffered commands, then forget the buffer registered at `ptr` (call it before the
   buffer is freed or goes out of scope). */
void gemmini_shim_release(const void *ptr);

#ifdef __cplusplus
}
#endif

/* Register a whole array (not a pointer). */
#define GEMMINI_SHIM_ARRAY(array) gemmini_shim_buffer((array), sizeof(array))

#define GEMMINI_CMD(funct, rs1, rs2) \
    gemmini_shim_cmd((uint64_t)(funct), (uint64_t)(rs1), (uint64_t)(rs2), __FILE__, __LINE__)

#include "gemmini.h"

#endif /* GEMMINI_SHIM_H */
