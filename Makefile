# dualrec -- one hand-written GNU Makefile.
#
#   make              build every executable into bin/ (warnings are errors)
#   make test         install missing packages, build, run every Check suite
#                     and the CLI / end-to-end tests
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan, built in
#                     build/asan/ (bin in build/asan/bin)
#   make bench        benchmarks on generated data (README.md, Benchmarks)
#   make samples      regenerate data-samples/world (committed)
#   make clean
#
# Layout: src/<layer>/*.c -> $(BUILD)/libpipeline.a; cmd/<exe>.c + lib -> $(BIN)/<exe>;
# tests/check_*.c -> $(BUILD)/check_all (one runner; CK_RUN_SUITE=<mod>
# narrows it).  New modules, commands and suites are picked up by wildcard.

CC      ?= cc
SANITIZE ?= 0
WERROR  ?= 1

PKG_CFLAGS := $(shell pkg-config --cflags libzstd check openblas 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libzstd openblas 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wcast-qual -Wundef
ifeq ($(WERROR),1)
WARN += -Werror
endif

# Layers, lowest first: a module may include headers of its own layer and
# of the layers before it, never after (scripts/check-layers.sh, run by
# `make test`).  Headers live in include/<layer>/, sources in src/<layer>/.
LAYERS := base store ingest model stage synth eval

CFLAGS_ALL := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g \
              -fopenmp $(WARN) $(LAYERS:%=-Iinclude/%) $(PKG_CFLAGS) \
              -MMD -MP $(CFLAGS)
LIBS := $(PKG_LIBS) -lcsv -lxgboost -lm

ifeq ($(SANITIZE),1)
BUILD := build/asan
BIN   := build/asan/bin
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
else
BUILD := build
BIN   := bin
LDSAN :=
endif

SRCS      := $(sort $(wildcard $(LAYERS:%=src/%/*.c)))
CMDS      := $(sort $(wildcard cmd/*.c))
TESTSRCS  := $(sort $(wildcard tests/check_*.c))
BENCHSRCS := $(sort $(wildcard bench/*.c))
OBJS      := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
EXES      := $(CMDS:cmd/%.c=$(BIN)/%)
BENCHEXES := $(BENCHSRCS:bench/%.c=$(BUILD)/bench/%)
TESTOBJS  := $(TESTSRCS:tests/%.c=$(BUILD)/tests/%.o)
SUITES    := $(filter-out main common,$(TESTSRCS:tests/check_%.c=%))
LIB       := $(BUILD)/libpipeline.a

.PHONY: all test unit cli layers deps bench bench-tools samples clean fault fuzz \
        fuzz-build
.DEFAULT_GOAL := all

all: $(EXES)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BIN)/%: $(BUILD)/cmd/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) -fopenmp $(LDSAN) -o $@ $< $(LIB) $(LIBS)

# Benchmark helpers (bench/*.c): same flags and warnings as the product.
$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) -fopenmp $(LDSAN) -o $@ $< $(LIB) $(LIBS)

bench-tools: $(BENCHEXES)

.SECONDARY: $(BENCHEXES:%=%.o)

# The suite list is generated from the file names, so adding
# tests/check_<mod>.c (exporting Suite *<mod>_suite(void)) is enough.
$(BUILD)/tests/suites.h: $(TESTSRCS) Makefile
	@mkdir -p $(@D)
	@{ for s in $(SUITES); do echo "SUITE($$s)"; done; } > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/tests/suites.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -I$(BUILD)/tests -Itests \
	    -DSAMPLES_DIR='"$(CURDIR)/data-samples"' \
	    -DBIN_DIR='"$(CURDIR)/$(BIN)"' -c $< -o $@

$(BUILD)/check_all: $(TESTOBJS) $(LIB)
	$(CC) -fopenmp $(LDSAN) -o $@ $(TESTOBJS) $(LIB) $(LIBS) $(CHECK_LIBS)

deps:
	@scripts/install-deps.sh

# ---- fuzzing (docs/reliability.md) -----------------------------------------
# tests/fuzz/fuzz_<t>.c are libFuzzer targets, built with clang against the
# library's sources (its own objects in build/fuzz/, never mixed with the
# gcc build) under ASan + UBSan.  `make fuzz` runs each for FUZZ_SECONDS
# (default 60), FUZZ_JOBS (default 2) at a time, from the committed seeds
# in tests/fuzz/corpus/<t>/, and fails on any crash, leak or timeout.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
# clang names some things gcc does not warn about; the product is held to
# -Werror by gcc, the fuzz build only reports them
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g \
                -fopenmp=libgomp $(filter-out -Werror,$(WARN)) \
                $(LAYERS:%=-Iinclude/%) $(PKG_CFLAGS) $(FUZZ_SAN) -MMD -MP
FUZZSRCS     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(FUZZSRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_OBJS    := $(SRCS:src/%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_EXES    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libpipeline.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h \
                      $(FUZZ_BUILD)/libpipeline.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_BUILD)/libpipeline.a $(LIBS)

fuzz-build: $(FUZZ_EXES)

fuzz:
	@scripts/install-deps.sh --fuzz
	$(MAKE) --no-print-directory fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
	    FUZZ_BUILD=$(CURDIR)/$(FUZZ_BUILD) tests/fuzz/run.sh $(FUZZ_TARGETS)

unit: $(BUILD)/check_all
	CK_DEFAULT_TIMEOUT=600 $(BUILD)/check_all

# The fault-injection shim (tests/fault/faultinj.c, an LD_PRELOAD library
# used by tests/cli/*_faults.sh): never sanitized itself, so that it
# preloads into plain and ASan builds alike.
FAULTLIB := $(BUILD)/fault/faultinj.so

$(FAULTLIB): tests/fault/faultinj.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g -fPIC -shared $(WARN) -o $@ $< -ldl -lpthread

fault: $(FAULTLIB)

cli: $(EXES) $(BENCHEXES) $(FAULTLIB)
	DUALREC_BIN=$(CURDIR)/$(BIN) SAMPLES_DIR=$(CURDIR)/data-samples \
	    BENCH_TOOLS=$(CURDIR)/$(BUILD)/bench FAULT_LIB=$(CURDIR)/$(FAULTLIB) \
	    SANITIZE=$(SANITIZE) tests/cli/run.sh

layers:
	@scripts/check-layers.sh $(LAYERS)

test: deps
	$(MAKE) --no-print-directory layers all $(BUILD)/check_all
	$(MAKE) --no-print-directory unit cli

bench: deps all bench-tools
	BENCH_TOOLS=$(CURDIR)/$(BUILD)/bench bench/run.sh

samples: all
	scripts/make-samples.sh

clean:
	rm -rf build bin

-include $(OBJS:.o=.d) $(TESTOBJS:.o=.d) $(CMDS:cmd/%.c=$(BUILD)/cmd/%.d) \
         $(BENCHSRCS:bench/%.c=$(BUILD)/bench/%.d) $(FUZZ_OBJS:.o=.d)
