# Thin wrapper over the CMake presets. `make run` and `make test` are the two
# commands a fresh Debian 12 machine needs (as root).
PRESET ?= debug
BUILD_DIR := build/$(PRESET)

.PHONY: all deps build test unit-test run format lint clean

all: build

deps:
	scripts/install-deps.sh

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET)

test: build
	ctest --preset $(PRESET) --output-on-failure --parallel 2

unit-test: build
	ctest --preset $(PRESET) --output-on-failure --parallel 2 -L unit

run: build
	scripts/run-local.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

lint: build
	scripts/lint.sh $(BUILD_DIR)

clean:
	rm -rf build
