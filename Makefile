# autoland: the commands a newcomer needs. Everything installs what it needs
# first (scripts/install-deps.sh: Debian packages, seconds when present; the
# demo only what the binary and the sandbox need).
#
#   make demo    install, build, run the main job on the embedded default
#   make test    install; check format, layering and clang-tidy; build with
#                ASan+UBSan, run every test + a fuzz smoke run, then the
#                threaded code again under ThreadSanitizer (clang)
#   make tidy    clang-tidy alone (scripts/run-tidy.sh)
#   make build   release build, binary at build/autoland
#   make bench   benchmarks (figures and ratios against a baseline)
#   make fuzz    every libFuzzer target for FUZZ_SECONDS (default 60) each
#
# ASAN=0 make test runs the tests on the plain build instead.

ASAN ?= 1
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 20
JOBS ?= $(shell nproc)

BUILD_DIR := build
ifeq ($(ASAN),1)
TEST_BUILD_DIR := build-asan
TEST_CMAKE_FLAGS := -DAUTOLAND_ASAN=ON -DAUTOLAND_TESTS=ON -DAUTOLAND_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
else
TEST_BUILD_DIR := $(BUILD_DIR)
TEST_CMAKE_FLAGS := -DAUTOLAND_TESTS=ON
endif

.PHONY: all deps demo-deps build test tidy demo bench fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh all

demo-deps:
	@bash scripts/install-deps.sh demo

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTOLAND_TESTS=ON -DAUTOLAND_BENCH=ON >/dev/null
	@ninja -C $(BUILD_DIR) -j $(JOBS)
	@echo "built $(BUILD_DIR)/autoland"

test: deps
	@bash scripts/check-format.sh
	@bash scripts/check-layers.sh
	@bash scripts/run-tidy.sh
	@cmake -S . -B $(TEST_BUILD_DIR) -G Ninja $(TEST_CMAKE_FLAGS) >/dev/null
	@ninja -C $(TEST_BUILD_DIR) -j $(JOBS)
	@bash scripts/run-fuzz.sh $(TEST_FUZZ_SECONDS)
	@cd $(TEST_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	@bash scripts/run-tsan.sh

# Only what the demo runs: the autoland binary (the tests and benchmarks are
# make test's and make bench's, and their packages are not installed for the
# demo). ninja prints its progress as [done/total].
demo: demo-deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTOLAND_TESTS=OFF -DAUTOLAND_BENCH=OFF >/dev/null
	@ninja -C $(BUILD_DIR) -j $(JOBS) autoland
	@$(BUILD_DIR)/autoland sandbox

bench: build
	@$(BUILD_DIR)/bench/autoland_bench
	@$(BUILD_DIR)/bench/autoland_trigger_bench
	@$(BUILD_DIR)/bench/autoland_landing_bench
	@$(BUILD_DIR)/bench/autoland_results_bench
	@$(BUILD_DIR)/bench/autoland_api_flood_bench
	@bash tests/e2e/api_test.sh $(BUILD_DIR)/autoland $(BUILD_DIR)/tests/autoland_api_load 50 10
	@bash bench/distributed_bench.sh $(BUILD_DIR)

fuzz: deps
	@bash scripts/run-fuzz.sh $(FUZZ_SECONDS)

tidy: deps
	@bash scripts/run-tidy.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	@rm -rf build build-asan build-fuzz build-tsan build-clang build-tidy
