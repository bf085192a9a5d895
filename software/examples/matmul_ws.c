/* matmul_ws.c: one DIM x DIM matmul on the accelerator in each dataflow, checked against plain C.

   Weight stationary: C = relu(scale(A * B + bias)), the bias row loaded into the accumulator
   (DRAM stride 0 repeats it in every row), the product accumulated onto it, and the accumulator
   read out scaled (fp32, round half to even, saturated) with RELU.
   Output stationary: C = relu(sat((A * B + D) >> shift)), D preloaded into the array, the result
   written to the scratchpad with a rounding right shift and RELU.

   Build and run (docs/software.md):
       gemmini-gen --preset small --out build/
       gcc -std=gnu11 -Ibuild -Isoftware/shim software/examples/matmul_ws.c \
           software/shim/gemmini_shim.c -o matmul_ws
       GEMMINI_BACKEND=golden ./matmul_ws          (or GEMMINI_BACKEND=rtl)
   Exit status 0 when every result matches. */
#include <stdio.h>

#include "gemmini_shim.h"

#define ACC_SCALE_FACTOR 0.0625f       /* WS: accumulator read scale */
#define OS_SHIFT 4                     /* OS: rounding right shift */

static elem_t A[DIM][DIM], B[DIM][DIM], D[DIM][DIM];
static acc_t bias[DIM];
static elem_t C_ws[DIM][DIM], C_os[DIM][DIM];
static acc_t C_ws_raw[DIM][DIM];

/* Scratchpad rows of the operands. */
enum { A_SP = 0, B_SP = DIM, D_SP = 2 * DIM, C_OS_SP = 3 * DIM };

static int random_value(int lo, int hi) {       /* deterministic, in [lo, hi) */
    static uint32_t state = 12345;
    state = state * 1103515245u + 12345u;
    return lo + (int)((state >> 8) % (uint32_t)(hi - lo));
}

static elem_t saturate(long long x) {
    return x > elem_t_max ? elem_t_max : x < elem_t_min ? elem_t_min : (elem_t)x;
}

static acc_t product(int i, int j) {
    acc_t sum = 0;
    for (int k = 0; k < DIM; k++)
        sum += (acc_t)A[i][k] * B[k][j];
    return sum;
}

/* 0 when `got` equals `want` element for element, else report the first difference. */
static int compare(const char *what, const elem_t *got, const elem_t *want) {
    for (int e = 0; e < DIM * DIM; e++) {
        if (got[e] != want[e]) {
            printf("%s: C[%d][%d] = %d, expected %d\n", what, e / DIM, e % DIM, got[e], want[e]);
            return 1;
        }
    }
    printf("%s: %d x %d results match\n", what, DIM, DIM);
    return 0;
}

static int weight_stationary(void) {
    gemmini_config_ld(DIM * sizeof(elem_t));
    gemmini_mvin(A, A_SP);
    gemmini_mvin(B, B_SP);
    gemmini_extended3_config_ld(0, MVIN_SCALE_IDENTITY, 0, 1);        /* state 1: stride 0 */
    gemmini_extended_mvin2(bias, gemmini_acc_addr(0, 0, 0), DIM, DIM);
    gemmini_extended_config_ex(WEIGHT_STATIONARY, NO_ACTIVATION, 0, 1, 0, 0);
    gemmini_preload(B_SP, gemmini_acc_addr(0, 1, 0));                 /* C += A * B */
    gemmini_compute_preloaded(A_SP, GARBAGE_ADDR);
    gemmini_extended_config_st(DIM * sizeof(elem_t), RELU, ACC_SCALE_FACTOR);
    gemmini_mvout(C_ws, gemmini_acc_addr(0, 0, 0));
#ifdef ACC_READ_FULL_WIDTH
    gemmini_config_st(DIM * sizeof(acc_t));
    gemmini_mvout(C_ws_raw, gemmini_acc_addr(0, 0, 1));
#endif
    gemmini_fence();

    static elem_t want[DIM][DIM];
    int bad = 0;
    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) {
            acc_t sum = bias[j] + product(i, j);
#ifdef ACC_READ_FULL_WIDTH
            if (!bad && C_ws_raw[i][j] != sum) {
                printf("WS: accumulator[%d][%d] = %d, expected %d\n", i, j, C_ws_raw[i][j], sum);
                bad = 1;
            }
#endif
            elem_t scaled = ACC_SCALE(sum, ACC_SCALE_FACTOR);
            want[i][j] = scaled < 0 ? 0 : scaled;
        }
    }
    return compare("WS: relu(scale(A*B + bias))", &C_ws[0][0], &want[0][0]) | bad;
}

static int output_stationary(void) {
    gemmini_config_ld(DIM * sizeof(elem_t));
    gemmini_mvin(A, A_SP);
    gemmini_mvin(B, B_SP);
    gemmini_mvin(D, D_SP);
    gemmini_extended_config_ex(OUTPUT_STATIONARY, RELU, OS_SHIFT, 1, 0, 0);
    gemmini_preload(D_SP, C_OS_SP);                                    /* sums start at D */
    gemmini_compute_preloaded(A_SP, B_SP);
    gemmini_config_st(DIM * sizeof(elem_t));
    gemmini_mvout(C_os, C_OS_SP);
    gemmini_fence();

    static elem_t want[DIM][DIM];
    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) {
            acc_t sum = D[i][j] + product(i, j);
            elem_t shifted = saturate(ROUNDING_RIGHT_SHIFT(sum, OS_SHIFT));
            want[i][j] = shifted < 0 ? 0 : shifted;
        }
    }
    return compare("OS: relu((A*B + D) >> shift)", &C_os[0][0], &want[0][0]);
}

int main(void) {
    for (int i = 0; i < DIM; i++) {
        bias[i] = random_value(-300, 300);
        for (int j = 0; j < DIM; j++) {
            A[i][j] = random_value(-32, 32);
            B[i][j] = random_value(-32, 32);
            D[i][j] = random_value(-64, 64);
        }
    }
    GEMMINI_SHIM_ARRAY(A);
    GEMMINI_SHIM_ARRAY(B);
    GEMMINI_SHIM_ARRAY(D);
    GEMMINI_SHIM_ARRAY(bias);
    GEMMINI_SHIM_ARRAY(C_ws);
    GEMMINI_SHIM_ARRAY(C_ws_raw);
    GEMMINI_SHIM_ARRAY(C_os);

    counter_configure(0, LOAD_ACTIVE_CYCLE);
    int bad = 0;
    if (GEMMINI_GEN_HAS_WS)                     /* the dataflows this config has */
        bad |= weight_stationary();
    if (GEMMINI_GEN_HAS_OS)
        bad |= output_stationary();
    uint32_t load_active = counter_read(0);
    printf("counter LOAD_ACTIVE_CYCLE: %u\n", load_active);
    if (load_active == 0) {
        printf("the load unit never counted as active\n");
        bad = 1;
    }
    return bad;
}
