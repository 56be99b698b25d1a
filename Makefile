# akms: build, quickstart and every test suite.
#
#   make quickstart   build the library and run the C quickstart (examples/c/quickstart.c)
#   make test         run every test: Rust, C (under valgrind), Python, Go, C++, install
#   make install      install the library, headers, akms.pc and the akms command (PREFIX, DESTDIR)
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

.PHONY: all lib quickstart examples test test-both test-rust test-c test-python test-go test-serve test-pg check-header bench clean

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

test: test-rust test-c test-python test-go test-cpp test-install test-serve test-pg

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

# The Python binding (bundling the library just built, AKMS_LIBRARY) and the test tools are
# installed into the current environment, then the suite runs from the binding's tree. Its
# packaging tests build libakms themselves from a clone (default provider, cargo cache in the
# temp dir), so the pure-rust pass leaves them out.
test-python: lib
	$(PYTHON) -m pip install -q --disable-pip-version-check cryptography pytest mypy
	AKMS_LIBRARY=$(LIB) $(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python
	cd bindings/python && PYTHONFAULTHANDLER=1 $(PYTHON) -X dev -X faulthandler -m pytest -q tests \
		$(if $(filter pure-rust,$(PROVIDER)),-m "not packaging",)

# The Go binding links target/release/libakms.so: gofmt, vet, the race detector with
# cgocheck2, then the example (signs README.md, verifies with crypto/ecdsa).
test-go: lib
	test -z "$$(gofmt -l bindings/go examples/go)"
	cd bindings/go && go vet ./... && GOEXPERIMENT=cgocheck2 go test -race -count=1 ./...
	cd bindings/go/interop && go vet ./... && GOEXPERIMENT=cgocheck2 go test -race -count=1 ./...
	cd examples/go && go vet ./... && go run . ../../README.md && go run ./ca >/dev/null

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
	$(PYTHON) -m pip install -q --disable-pip-version-check cryptography pytest; \
	AKMS_LIBRARY=$(LIB) $(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python; \
	(cd bindings/python && AKMS_LIBRARY=$(LIB) $(PYTHON) -X dev -m pytest -q tests/test_postgres.py); \
	(cd bindings/go && go test -count=1 -run Postgres -v .); \
	echo "== akms --store postgresql://... (the command)"; \
	export AKMS_PASSPHRASE=cli-pg AKMS_KDF_PARAMS=m=8,t=1,p=1; \
	key=$$(target/release/akms --store "$$AKMS_TEST_PG_URI&akms_store=cli" create-key \
	    --key-spec EC_P256 --key-usage SIGN/VERIFY | sed 's/^{"KeyId":"\([^"]*\)".*/\1/'); \
	target/release/akms --store "$$AKMS_TEST_PG_URI&akms_store=cli" describe-key --key "$$key" \
	    | grep -q '"KeyState":"Enabled"'; \
	echo "akms command on PostgreSQL: ok"
else
test-pg:
	@echo "test-pg: skipped: the pure-rust build has no PostgreSQL support (cargo feature postgres)"
endif

check-header: lib
	git diff --exit-code include/

clean:
	$(CARGO) clean
	rm -rf tests/c/build examples/c/build bench/build tests/cpp/build

# ---- The akms command, C++ and installing (issue 14) ---------------------------------------
# make install PREFIX=/usr/local [DESTDIR=/staging]: lib/libakms.so.<ABI> (its SONAME, from
# build.rs), the lib/libakms.so link, lib/libakms.a, include/akms.h, include/akms.hpp,
# lib/pkgconfig/akms.pc and bin/akms. make uninstall removes exactly those.
# make test-cli runs the command's tests alone (test-rust runs them too: cli/ is a default
# member); test-cpp the C++ tests under valgrind; test-install installs into a temporary prefix
# and builds C (pkg-config, shared and static), C++ and Go (-tags akms_pkgconfig) against it.
PREFIX      ?= /usr/local
DESTDIR     ?=
ABI         := $(shell sed -n 's/^pub const AKMS_ABI_VERSION: u32 = \([0-9]*\);/\1/p' src/ffi/version.rs)
VERSION     := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
CXXFLAGS    ?= -std=c++17 -O1 -g -Wall -Wextra -Werror
# What libakms.a needs besides itself: rustc --print native-static-libs (x86_64-linux-gnu).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
CPP_TESTS   := $(patsubst tests/cpp/%.cpp,tests/cpp/build/%,$(wildcard tests/cpp/test_*.cpp))
INST_LIB    := $(DESTDIR)$(PREFIX)/lib
INST_INC    := $(DESTDIR)$(PREFIX)/include
INST_BIN    := $(DESTDIR)$(PREFIX)/bin

.PHONY: install uninstall test-cli test-cpp test-install

install: lib
	install -d $(INST_LIB)/pkgconfig $(INST_INC) $(INST_BIN)
	install -m 0755 $(LIBDIR)/libakms.so $(INST_LIB)/libakms.so.$(ABI)
	ln -sf libakms.so.$(ABI) $(INST_LIB)/libakms.so
	install -m 0644 $(LIBDIR)/libakms.a $(INST_LIB)/libakms.a
	install -m 0644 include/akms.h include/akms.hpp $(INST_INC)/
	install -m 0755 $(LIBDIR)/akms $(INST_BIN)/akms
	printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' 'libdir=$${exec_prefix}/lib' \
	  'includedir=$${prefix}/include' '' 'Name: akms' \
	  'Description: Embeddable asymmetric key management service (C ABI)' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lakms' 'Libs.private: $(STATIC_LIBS)' \
	  'Cflags: -I$${includedir}' > $(INST_LIB)/pkgconfig/akms.pc
	chmod 0644 $(INST_LIB)/pkgconfig/akms.pc

uninstall:
	rm -f $(INST_LIB)/libakms.so.$(ABI) $(INST_LIB)/libakms.so $(INST_LIB)/libakms.a \
	  $(INST_INC)/akms.h $(INST_INC)/akms.hpp $(INST_LIB)/pkgconfig/akms.pc $(INST_BIN)/akms

test-cli: lib
	$(CARGO) test --release $(FEATURES) -p akms-cli

tests/cpp/build/%: tests/cpp/%.cpp include/akms.hpp include/akms.h lib
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $< -o $@ $(LDLIBS)

# Every C++ test program runs under valgrind (a cheap KDF for its persistent store).
test-cpp: lib $(CPP_TESTS)
	@set -e; for t in $(CPP_TESTS); do echo "== $$t (valgrind)"; \
	  AKMS_KDF_PARAMS=m=8,t=1,p=1 $(VALGRIND) $$t; done

test-install: lib
	bash tests/install/run.sh

# akms serve through the official SDKs (cli/, tests/serve/): Python (alibabacloud-kms20160120,
# boto3, the AWS CLI) in a venv under the system temp dir, then the Go SDKs via the module proxy.
SERVE_VENV ?= $(shell $(PYTHON) -c 'import tempfile; print(tempfile.gettempdir())')/akms-serve-venv
test-serve:
	$(CARGO) build --release -p akms-cli $(FEATURES)
	$(CARGO) build --release -p akms $(FEATURES)
	test -x $(SERVE_VENV)/bin/python || $(PYTHON) -m venv $(SERVE_VENV)
	$(SERVE_VENV)/bin/python -m pip install -q --disable-pip-version-check -r tests/serve/requirements.txt
	cd tests/serve && PATH="$(SERVE_VENV)/bin:$$PATH" AKMS_BIN=$(CURDIR)/target/release/akms \
		$(SERVE_VENV)/bin/python -m pytest -q .
	test -z "$$(gofmt -l tests/serve/go)"
	cd tests/serve/go && go vet ./... && AKMS_BIN=$(CURDIR)/target/release/akms go test -count=1 ./...
