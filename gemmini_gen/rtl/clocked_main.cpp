// Simulation main for Verilator models run under cocotb whose clock is generated here, in C++.
//
// cocotb's own Verilator main runs every time step through all of the VPI phases (value-change
// callbacks, ReadWrite and ReadOnly synchronisation, next-time-step and timed callbacks), which
// costs about as much as evaluating a small design.  Harnesses that keep Python off the per-cycle
// path (commands and memory in HDL, Python asleep on Timers) need none of that between two of
// cocotb's timers.  This main toggles the clock input GEMMINI_CLOCK every GEMMINI_HALF_PERIOD time
// units (the model's time precision), first rising edge at GEMMINI_HALF_PERIOD, and
//
// * runs the clock edges that fall before cocotb's next timer, when no value-change, ReadWrite or
//   ReadOnly callback is registered, as evaluations of the model alone: Python is asleep until
//   that timer, so no callback can be registered in between.  Only the first of those edges also
//   runs the next-time-step callbacks the step before may have registered (if one runs, that
//   edge's time step is completed in full);
// * runs every other time step exactly as cocotb's main does: evaluate until no VPI write is
//   pending, ReadWrite callbacks, end of step, ReadOnly callbacks, then at the next time
//   next-time-step and timed callbacks, each followed by value-change callbacks until settled.
//
// Options: --trace, --trace-file FILE (builds with tracing; dump.vcd by default).

#include <cstdio>
#include <memory>
#include <string>

#include "Vtop.h"
#include "verilated.h"
#include "verilated_vpi.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#ifndef GEMMINI_CLOCK
#error "define GEMMINI_CLOCK (the clock input of the top module)"
#endif
#ifndef GEMMINI_HALF_PERIOD
#error "define GEMMINI_HALF_PERIOD (half a clock period in time-precision units)"
#endif

extern "C" void vlog_startup_routines_bootstrap(void);

namespace {

vluint64_t main_time = 0;
#if VM_TRACE
VerilatedVcdC* trace = nullptr;  // closed at the end, never deleted (as cocotb's main does)
#endif

void set_time(vluint64_t t) {
    main_time = t;
    Verilated::threadContextp()->time(t);
}

// Value-change callbacks may write signals that trigger further callbacks: repeat until quiet.
void settle_value_callbacks() {
    while (VerilatedVpi::callValueCbs()) {
    }
}

// Python code may wake up at this time step: only then are the synchronisation phases needed.
bool callbacks_pending() {
    return VerilatedVpi::hasCbs(cbValueChange) || VerilatedVpi::hasCbs(cbReadWriteSynch) ||
           VerilatedVpi::hasCbs(cbReadOnlySynch);
}

void dump_trace() {
#if VM_TRACE
    if (trace) trace->dump(main_time);
#endif
}

// The rest of a time step whose inputs are set: every phase cocotb's main runs.
void full_step(Vtop* top) {
    do {
        do {
            top->eval_step();
            VerilatedVpi::clearEvalNeeded();
            VerilatedVpi::doInertialPuts();
            settle_value_callbacks();
        } while (VerilatedVpi::evalNeeded());
        VerilatedVpi::callCbs(cbReadWriteSynch);
        VerilatedVpi::doInertialPuts();
        settle_value_callbacks();
    } while (VerilatedVpi::evalNeeded());
    top->eval_end_step();
    VerilatedVpi::callCbs(cbReadOnlySynch);
    dump_trace();
}

void finish() {
    VerilatedVpi::callCbs(cbEndOfSimulation);
#if VM_TRACE
    if (trace) trace->close();
#endif
}

}  // namespace

double sc_time_stamp() { return static_cast<double>(main_time); }

int main(int argc, char** argv) {
    bool trace_on = false;
    std::string trace_file = "dump.vcd";
    for (int i = 1; i < argc; i++) {
        const std::string arg = argv[i];
        if (arg == "--trace") {
            trace_on = true;
        } else if (arg == "--trace-file" && i + 1 < argc) {
            trace_file = argv[++i];
        }
    }
#if !VM_TRACE
    if (trace_on) {
        std::fprintf(stderr, "error: --trace needs a model built with tracing\n");
        return 2;
    }
#endif
    Verilated::commandArgs(argc, argv);
    std::unique_ptr<Vtop> top(new Vtop(""));
    Verilated::fatalOnVpiError(false);
#if VM_TRACE
    Verilated::traceEverOn(true);
    if (trace_on) {
        trace = new VerilatedVcdC;
        top->trace(trace, 99);
        trace->open(trace_file.c_str());
    }
#endif
    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void*) { finish(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle_value_callbacks();

    const vluint64_t half = GEMMINI_HALF_PERIOD;
    vluint64_t next_edge = half;
    top->GEMMINI_CLOCK = 0;
    auto tick = [&]() {
        set_time(next_edge);
        next_edge += half;
        top->GEMMINI_CLOCK = !top->GEMMINI_CLOCK;
    };
    while (!Verilated::gotFinish()) {
        full_step(top.get());
        const vluint64_t deadline = VerilatedVpi::cbNextDeadline();
        if (next_edge < deadline && !callbacks_pending()) {
            tick();
            if (VerilatedVpi::callCbs(cbNextSimTime)) {
                settle_value_callbacks();
                continue;  // Python ran: complete this edge's time step in full
            }
            for (;;) {
                top->eval_step();
                top->eval_end_step();
                dump_trace();
                if (next_edge >= deadline || Verilated::gotFinish()) break;
                tick();
            }
            if (Verilated::gotFinish()) break;
        }
        // the next time step with callbacks: a clock edge, cocotb's next timer, or both
        if (next_edge <= deadline) {
            tick();
        } else {
            set_time(deadline);
        }
        VerilatedVpi::callCbs(cbNextSimTime);
        settle_value_callbacks();
        VerilatedVpi::callTimedCbs();
        settle_value_callbacks();
    }
    top->final();
    finish();
    return Verilated::threadContextp()->errorCount() > 0 ? 1 : 0;
}
