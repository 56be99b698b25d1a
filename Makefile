# akms: build, quickstart and every test suite.
#
#   make quickstart   build the library and run the C quickstart (examples/c/quickstart.c)
#   make test         run every test: Rust, C (under valgrind), Python, Go
#
# Individual suites: make test-rust, test-c, test-python, test-go; make check-header verifies
# that include/akms.h is what cbindgen generates.

CARGO     ?= cargo
CC        ?= cc
PYTHON    ?= python3
LIBDIR    := $(CURDIR)/target/release
LIB       := $(LIBDIR)/libakms.so
CFLAGS    ?= -std=c11 -O1 -g -Wall -Wextra -Werror
CPPFLAGS  += -I$(CURDIR)/include
LDLIBS    := -L$(LIBDIR) -lakms -lpthread -Wl,-rpath,$(LIBDIR)
VALGRIND  ?= valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99

C_TESTS   := $(patsubst tests/c/%.c,tests/c/build/%,$(wildcard tests/c/test_*.c))
EXAMPLES  := $(patsubst examples/c/%.c,examples/c/build/%,$(wildcard examples/c/*.c))

.PHONY: all lib quickstart examples test test-rust test-c test-python test-go check-header clean

all: lib

lib:
	$(CARGO) build --release

quickstart: lib examples/c/build/quickstart
	examples/c/build/quickstart

examples: lib $(EXAMPLES)

examples/c/build/%: examples/c/%.c include/akms.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(LDLIBS)

tests/c/build/%: tests/c/%.c tests/c/check.h include/akms.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(LDLIBS)

test: test-rust test-c test-python test-go

test-rust:
	$(CARGO) test --release

# Every C test program runs under valgrind: any memory error or leak fails it.
test-c: lib $(C_TESTS) examples
	@set -e; for t in $(C_TESTS); do echo "== $$t (valgrind)"; $(VALGRIND) $$t; done

# The Python binding is installed into the current environment, then tested from its tree.
test-python: lib
	$(PYTHON) -m pip install -q ./bindings/python
	cd bindings/python && $(PYTHON) -X dev -m pytest -q tests

# The Go binding links target/release/libakms.so: gofmt, vet, the race detector with
# cgocheck2, then the example (signs README.md, verifies with crypto/ecdsa).
test-go: lib
	test -z "$$(gofmt -l bindings/go examples/go)"
	cd bindings/go && go vet ./... && GOEXPERIMENT=cgocheck2 go test -race -count=1 ./...
	cd examples/go && go vet ./... && go run . ../../README.md

check-header: lib
	git diff --exit-code include/

clean:
	$(CARGO) clean
	rm -rf tests/c/build examples/c/build
