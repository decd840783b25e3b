# mfrec — the two commands of the quick start are `make demo` and `make test`.
# Both install the Debian packages they need first (scripts/install-deps).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
PYTHON     ?= /usr/bin/python3
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps build demo test test-fast test-asan test-tsan fuzz fuzz-smoke bench clean install python

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/mfrec

# Unit, CLI, HTTP and browser tests, then the same suite under ASan + UBSan,
# the server and its HTTP tests under ThreadSanitizer, and a short run of
# every fuzz target.
test:
	@scripts/install-deps --test
	@$(MAKE) --no-print-directory test-fast test-asan test-tsan fuzz-smoke

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

test-asan:
	@cmake -S . -B $(BUILD_ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DMFR_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 1800 -LE 'slow|browser'

# The server under ThreadSanitizer: the HTTP tests and the server's unit
# tests (http.personas, a quality check on ml-latest-small, is left out: it
# trains the full set, 10+ minutes under TSan). tests/tsan.supp drops only
# reports through libgomp; OpenBLAS's own threads are not used. 1.4 min on
# 2 quiet cores (build + 64 s of tests), part of `make test`.
test-tsan:
	@cmake -S . -B $(BUILD_TSAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DMFR_TSAN=ON >/dev/null
	@cmake --build $(BUILD_TSAN) -j $(JOBS) --target mfrec_cli test_serve
	@cd $(BUILD_TSAN) && OPENBLAS_NUM_THREADS=1 \
	  TSAN_OPTIONS="halt_on_error=1 history_size=7 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -R '^(http\.|unit\.serve\.)' -E personas

# libFuzzer (clang): every target of tests/fuzz for FUZZ_SECONDS (600) each,
# FUZZ_JOBS at a time (scripts/fuzz.sh). fuzz-smoke: 4 s each, skipped
# without clang.
fuzz:
	@scripts/fuzz.sh

fuzz-smoke:
	@if command -v clang >/dev/null; then FUZZ_SECONDS=$${FUZZ_SECONDS:-4} scripts/fuzz.sh; \
	else echo "fuzz-smoke: skipped, no clang (scripts/install-deps --test)"; fi

# The tool, the headers, libmfrec.a and libmfrec.so.0, mfrec.pc and the CMake
# package under $(DESTDIR)$(PREFIX) (README: "Use it from C").
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# The Python package (docs/python.md): the C library installed as above, then
# python/ by pip, offline, over Debian's numpy. Debian's own Python is
# "externally managed" (PEP 668): outside a virtualenv pip needs
# --break-system-packages, and puts the package under /usr/local too.
PIP_FLAGS ?= $(shell $(PYTHON) -c 'import sys; print("" if sys.prefix != sys.base_prefix else "--break-system-packages")' 2>/dev/null)
python:
	@scripts/install-deps --python
	@$(MAKE) --no-print-directory install
	@$(PYTHON) -m pip install --no-build-isolation --no-index $(PIP_FLAGS) ./python

bench: build
	@scripts/install-deps --bench
	@bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) build-fuzz-clang
