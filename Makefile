# qlm - build with `make`, test with `make test`.
#
#   make                 ./qlm and libqlm.a
#   make test            build and run every test; ends with "N passed, N failed"
#   make demo            write a story with the 260K-parameter TinyStories model
#   make bench-tokenize  tokenizer throughput on 1 MiB of mixed text (bench/tokenize_bench.c)
#   make bench-rmse      build/bench/quant_rmse: per-tensor quantization error (bench/quant_rmse.c)
#   make SAN=1 test      the same tests under AddressSanitizer + UBSan (in build-san/)
#   make fuzz            libFuzzer harnesses (tests/fuzz/) with clang, ASan and UBSan, as
#                        build-fuzz/fuzz_NAME; see tests/fuzz/README.md
#   make CC=clang CFLAGS=-O3 ...   CC and CFLAGS are yours to override
#
# Kernel files carry their ISA in their name (quant/*_avx2.c, *_avxvnni.c, *_avx512.c, *_neon.c) and
# only they are compiled with the matching -m flags, so the one binary runs on any CPU
# of its architecture and picks the best path at run time.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
             -Wshadow -Iinclude -pthread $(CFLAGS)
LDLIBS  = -lm -pthread

ifeq ($(SAN),1)
BUILD   ?= build-san
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),fuzz)
# set by `make fuzz`: every object instrumented for libFuzzer's coverage feedback
BUILD   ?= build-fuzz
CFLAGS_ALL += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined -DQLM_LIBFUZZER
LDFLAGS += -fsanitize=address,undefined
else
BUILD   ?= build
endif

ARCH := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq (,$(findstring x86_64,$(ARCH)))
FLAGS_avx2   = -mavx2 -mfma -mf16c -mbmi2
# AVX-VNNI files add the feature with a target pragma (compilers before gcc 11 / clang 12
# lack it; the files then build an empty table)
FLAGS_avxvnni = $(FLAGS_avx2)
FLAGS_avx512 = -mavx2 -mfma -mf16c -mbmi2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
endif
ifneq (,$(findstring aarch64,$(ARCH)))
FLAGS_neon   = -march=armv8.2-a+dotprod+fp16
endif

LIB_SRC  := $(wildcard ggml-like/*.c quant/*.c model/*.c)
# bench/tokenize_bench.c and bench/quant_rmse.c are programs of their own (make
# bench-tokenize, make bench-rmse), not part of ./qlm
CLI_SRC  := $(filter-out bench/tokenize_bench.c bench/quant_rmse.c,$(wildcard cli/*.c bench/*.c server/*.c))
TEST_SRC := $(wildcard tests/test_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)
# fuzz targets: linked into the fuzzers (make fuzz) and into test_fuzz_regressions
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(BUILD)/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)
FUZZ_CC  ?= clang

ifeq ($(SAN),1)
QLM_BIN = $(BUILD)/qlm
else
QLM_BIN = qlm
endif

SHARED  ?= ../shared

.PHONY: all test demo clean fuzz fuzz-bins bench-tokenize bench-rmse
all: $(QLM_BIN) libqlm.a

# Objects are rebuilt when the compiler or its flags change: make alone compares only
# the files' times, so an object built with other flags (an -O3 experiment) stayed, and
# timed A/B builds compared other code than they named. The stamp holds the command
# line's flags and is rewritten only when they differ.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW := $(CC) $(CFLAGS_ALL) $(LDFLAGS)
$(shell mkdir -p $(BUILD) && [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(FLAGS_NOW)' ] || echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))
$(FLAGS_STAMP): ;

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FLAGS_$(lastword $(subst _, ,$(basename $(notdir $<))))) -MMD -MP -c $< -o $@

ifeq ($(SAN),1)
# gcc -O2 with ASan + UBSan spent ~7 CPU minutes on quant/gemm_avx512.c when it also held
# the matrix-vector loops (its kernels are instantiated per type and token count); -O1
# takes under one and keeps both sanitizers
$(filter $(BUILD)/quant/gemm_%.o $(BUILD)/quant/gemv_%.o,$(LIB_OBJ)): CFLAGS_ALL += -O1
endif
ifeq ($(SAN),fuzz)
# clang's UBSan instrumentation of the heavily inlined SIMD matrix kernels takes about 10
# CPU minutes for quant/gemm_avx512.c alone (ASan only: under 2). The fuzzers aim at the
# parsers, and `make SAN=1 test` runs these kernels under both sanitizers, so in the fuzz
# build they keep ASan and coverage only.
$(filter $(BUILD)/quant/gemm_%.o $(BUILD)/quant/gemv_%.o,$(LIB_OBJ)): CFLAGS_ALL += -fno-sanitize=undefined
endif

$(BUILD)/libqlm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

libqlm.a: $(BUILD)/libqlm.a
	cp $< $@

$(QLM_BIN): $(CLI_OBJ) $(BUILD)/libqlm.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libqlm.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libqlm.a $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS) -MMD -MP -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libqlm.a $(LDLIBS)

# the regression replayer also needs the fuzz targets and the HTTP parser
$(BUILD)/tests/test_fuzz_regressions: tests/test_fuzz_regressions.c $(FUZZ_OBJ) $(BUILD)/server/http.o \
		$(TEST_SUPPORT_OBJ) $(BUILD)/libqlm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS) -MMD -MP -o $@ $< $(FUZZ_OBJ) $(BUILD)/server/http.o \
		$(TEST_SUPPORT_OBJ) $(BUILD)/libqlm.a $(LDLIBS)

fuzz:
	$(MAKE) SAN=fuzz CC=$(FUZZ_CC) CFLAGS='-O1 -g' fuzz-bins

fuzz-bins: $(FUZZ_BIN) $(BUILD)/gen_seeds

$(BUILD)/gen_seeds: $(BUILD)/tests/fuzz/gen_seeds.o $(BUILD)/libqlm.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/server/http.o $(BUILD)/libqlm.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

test: $(QLM_BIN) $(TEST_BIN)
	@QLM=$(abspath $(QLM_BIN)) BUILD=$(BUILD) sh tests/run_all.sh

demo: $(QLM_BIN)
	@sh scripts/demo.sh ./$(QLM_BIN)

$(BUILD)/bench/tokenize_bench: bench/tokenize_bench.c $(BUILD)/libqlm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(BUILD)/libqlm.a $(LDLIBS)

$(BUILD)/bench/quant_rmse: bench/quant_rmse.c $(BUILD)/libqlm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(BUILD)/libqlm.a $(LDLIBS)

bench-rmse: $(BUILD)/bench/quant_rmse

# imports the three Hugging Face tokenizers of $(SHARED)/tokenizers, then times them and
# llama.cpp's LLaMA SentencePiece vocabulary
bench-tokenize: $(QLM_BIN) $(BUILD)/bench/tokenize_bench
	@for t in llama3 qwen3 gemma3; do \
	    ./$(QLM_BIN) convert --vocab-only $(SHARED)/tokenizers/$$t -o $(BUILD)/bench/$$t.gguf || exit 1; done
	$(BUILD)/bench/tokenize_bench $(BUILD)/bench/llama3.gguf $(BUILD)/bench/qwen3.gguf $(BUILD)/bench/gemma3.gguf \
	    $(SHARED)/vocab/ggml-vocab-llama-spm.gguf

clean:
	rm -rf build build-san build-fuzz qlm libqlm.a tests/out

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d) $(TEST_BIN:=.d) $(FUZZ_OBJ:.o=.d) \
         $(BUILD)/tests/fuzz/gen_seeds.d
