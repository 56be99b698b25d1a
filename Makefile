# akms: build, quickstart and every test suite.
#
#   make quickstart   build the library and run the C quickstart (examples/c/quickstart.c)
#   make test         run every test: Rust, C (under valgrind), Python, Go
#
# Individual suites: make test-rust, test-c, test-python, test-go; make check-header verifies
# that include/akms.h is what cbindgen generates. The crypto provider: PROVIDER empty = the
# default (AWS-LC for RSA and P-256), PROVIDER=pure-rust = RustCrypto only (no C);
# make test-both runs the whole suite on each. make bench compares akms with OpenSSL.

CARGO     ?= cargo
PROVIDER  ?=
FEATURES  := $(if $(filter pure-rust,$(PROVIDER)),--no-default-features --features pure-rust,)
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

.PHONY: all lib quickstart examples test test-both test-rust test-c test-python test-go test-pg check-header bench clean

all: lib

lib:
	$(CARGO) build --release $(FEATURES)

quickstart: lib examples/c/build/quickstart
	examples/c/build/quickstart

examples: lib $(EXAMPLES)

examples/c/build/%: examples/c/%.c include/akms.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(LDLIBS)

tests/c/build/%: tests/c/%.c tests/c/check.h tests/c/fixtures.h include/akms.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(LDLIBS)

test: test-rust test-c test-python test-go test-pg

test-rust:
	$(CARGO) test --release $(FEATURES)

# The whole suite on both providers; the default library is built last and stays in target/release.
test-both:
	$(MAKE) test PROVIDER=pure-rust
	$(MAKE) test

bench:
	$(MAKE) -C bench run

# Every C test program runs under valgrind: any memory error or leak fails it.
test-c: lib $(C_TESTS) examples
	@set -e; for t in $(C_TESTS); do echo "== $$t (valgrind)"; $(VALGRIND) $$t; done

# The Python binding (and the test tools) are installed into the current environment, then
# the suite runs from the binding's tree.
test-python: lib
	$(PYTHON) -m pip install -q --disable-pip-version-check cryptography pytest ./bindings/python
	cd bindings/python && PYTHONFAULTHANDLER=1 $(PYTHON) -X dev -X faulthandler -m pytest -q tests

# The Go binding links target/release/libakms.so: gofmt, vet, the race detector with
# cgocheck2, then the example (signs README.md, verifies with crypto/ecdsa).
test-go: lib
	test -z "$$(gofmt -l bindings/go examples/go)"
	cd bindings/go && go vet ./... && GOEXPERIMENT=cgocheck2 go test -race -count=1 ./...
	cd examples/go && go vet ./... && go run . ../../README.md

# PostgreSQL stores: the Rust suites (tests/pg_*.rs, in test-rust) start private clusters
# themselves; test-pg runs the C (valgrind), Python and Go tests against one it starts
# (scripts/pg-cluster.sh: 127.0.0.1, scram-sha-256, TLS) and destroys however the recipe ends.
# The pure-rust build has no PostgreSQL support (cargo feature postgres): skipped there.
ifeq ($(filter pure-rust,$(PROVIDER)),)
test-pg: lib tests/c/build/pg_store
	@set -e; dir=$$(mktemp -d /tmp/akms-test-pg-XXXXXX); \
	trap 'scripts/pg-cluster.sh destroy '"$$dir" EXIT; \
	uri=$$(scripts/pg-cluster.sh start "$$dir" $$$$); \
	export AKMS_TEST_PG_URI="$${uri%%\?*}?sslmode=verify-full&sslrootcert=$$dir/ca.crt"; \
	echo "== tests/c/build/pg_store (valgrind)"; \
	$(VALGRIND) --show-possibly-lost=no tests/c/build/pg_store; \
	$(PYTHON) -m pip install -q --disable-pip-version-check cryptography pytest ./bindings/python; \
	(cd bindings/python && $(PYTHON) -X dev -m pytest -q tests/test_postgres.py); \
	(cd bindings/go && go test -count=1 -run Postgres -v .)
else
test-pg:
	@echo "test-pg: skipped: the pure-rust build has no PostgreSQL support (cargo feature postgres)"
endif

check-header: lib
	git diff --exit-code include/

clean:
	$(CARGO) clean
	rm -rf tests/c/build examples/c/build bench/build
