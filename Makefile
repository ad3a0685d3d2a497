# ikemortem — build, test, demo, install.
#
#   make            build/ikemortem (-O2 -g)
#   make check      install missing Debian packages, build the tests with ASan/UBSan, run all
#   make demo       ingest the bundled sample and print what was found
#   make bench      throughput on a generated debug log (BENCH_MB, default 512)
#   make fuzz       run the libFuzzer targets for FUZZ_SECONDS each (clang)
#   make install    PREFIX=/usr/local DESTDIR=

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    := build
VERSION  := 0.1.0

PC_MODULES := libpcap libpcre2-8 sqlite3 jansson libarchive libcrypto
DEB_PKGS   := gcc make pkg-config libpcap-dev libpcre2-dev libsqlite3-dev libjansson-dev \
              libarchive-dev libssl-dev libexpat1-dev check valgrind

PKG_CFLAGS = $(shell pkg-config --cflags $(PC_MODULES) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PC_MODULES) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

WARN     := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
DEFS     := -D_GNU_SOURCE -DIKM_VERSION='"$(VERSION)"'
CFLAGS_RELEASE := $(WARN) $(DEFS) -O2 -g
CFLAGS_TEST    := $(WARN) $(DEFS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                  -fno-sanitize-recover=undefined

PARSER_SRC   := parsers/sink.c parsers/linereader.c parsers/timefmt.c parsers/ikemgr.c
ANALYZER_LIB := analyzer/textsafe.c analyzer/tz.c analyzer/input.c analyzer/timeline.c \
                analyzer/pairing.c analyzer/cmd_ingest.c
MAIN_SRC     := analyzer/main.c
GEN_SRC      := $(BUILD)/gen/schema_sql.c
LIB_SRC      := $(PARSER_SRC) $(ANALYZER_LIB) $(GEN_SRC)
TEST_SRC     := tests/run_tests.c tests/memsink.c tests/test_timefmt.c tests/test_linereader.c \
                tests/test_ikemgr.c tests/test_textsafe.c tests/test_timeline.c tests/test_e2e.c tests/testutil.c
HEADERS      := $(wildcard parsers/*.h analyzer/*.h tests/*.h) parsers/ikemgr_catalog.inc

rel_obj  = $(patsubst %.c,$(BUILD)/rel/%.o,$(1))
test_obj = $(patsubst %.c,$(BUILD)/test/%.o,$(1))

.PHONY: all deps check check-valgrind demo bench fuzz fuzz-smoke install clean
all: $(BUILD)/ikemortem

deps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	for m in $(PC_MODULES) check; do \
	  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists $$m || missing="$$missing $$m"; \
	done; \
	command -v $(CC) >/dev/null 2>&1 || missing="$$missing $(CC)"; \
	command -v valgrind >/dev/null 2>&1 || missing="$$missing valgrind"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "make deps: missing:$$missing"; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make deps: not root; install them with: sudo apt-get install $(DEB_PKGS)"; exit 1; \
	fi; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

$(BUILD)/embed: schema/embed.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror -O1 -o $@ $<

$(BUILD)/gen/schema_sql.c: schema/timeline.sql $(BUILD)/embed
	@mkdir -p $(@D)
	$(BUILD)/embed schema_timeline_sql $< $@

$(BUILD)/rel/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	@echo "CC $<"
	@$(CC) $(CFLAGS_RELEASE) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/test/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	@echo "CC (test) $<"
	@$(CC) $(CFLAGS_TEST) $(PKG_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(BUILD)/ikemortem: $(call rel_obj,$(LIB_SRC) $(MAIN_SRC))
	@echo "LD $@"
	@$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(PKG_LIBS)

$(BUILD)/test/ikemortem: $(call test_obj,$(LIB_SRC) $(MAIN_SRC))
	@echo "LD $@"
	@$(CC) $(CFLAGS_TEST) -o $@ $^ $(PKG_LIBS)

$(BUILD)/test/run_tests: $(call test_obj,$(LIB_SRC) $(TEST_SRC))
	@echo "LD $@"
	@$(CC) $(CFLAGS_TEST) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

check: deps
	@$(MAKE) --no-print-directory $(BUILD)/test/run_tests $(BUILD)/test/ikemortem
	IKM_BIN=$(BUILD)/test/ikemortem IKM_SRCDIR=. IKM_TMPDIR=$(BUILD)/test/tmp \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/test/run_tests
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory check-valgrind

# The end-to-end runs of the release binary under valgrind: no leaks, no invalid access.
check-valgrind: $(BUILD)/ikemortem
	@command -v valgrind >/dev/null || { echo "check-valgrind: valgrind not found, skipped (apt-get install valgrind)"; exit 0; }
	@rm -rf $(BUILD)/vg && mkdir -p $(BUILD)/vg
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	  $(BUILD)/ikemortem ingest -q --db $(BUILD)/vg/t.db testdata/sample/ikemgr.log testdata/sample/ikemgr.log.1.gz \
	  testdata/seed/ikemgr.log
	@echo "check-valgrind: clean"

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/ikemortem
	@rm -f $(BUILD)/demo.db
	$(BUILD)/ikemortem ingest --db $(BUILD)/demo.db testdata/sample/ikemgr.log testdata/sample/ikemgr.log.1.gz
	@echo "timeline written to $(BUILD)/demo.db (open it with sqlite3)"

# ---- fuzzing (clang/libFuzzer) --------------------------------------------------------------
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := ikemgr_line
FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(PARSER_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(PARSER_SRC) $(PKG_LIBS)

# A short run on the committed corpus, part of `make check` when clang can build fuzzers.
fuzz-smoke:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then echo "fuzz-smoke: $(FUZZ_CC) not found, skipped"; exit 0; fi; \
	for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz_$$t || exit 1; \
	  mkdir -p $(BUILD)/fuzz/corpus_$$t; \
	  $(BUILD)/fuzz/fuzz_$$t -runs=20000 -max_len=4096 $(BUILD)/fuzz/corpus_$$t tests/fuzz/corpus/$$t 2>$(BUILD)/fuzz/$$t.log \
	    || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	  echo "fuzz-smoke: $$t: $$(grep -o 'Done [0-9]* runs' $(BUILD)/fuzz/$$t.log)"; \
	done

fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz_$$t || exit 1; \
	  mkdir -p $(BUILD)/fuzz/corpus_$$t; \
	  $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 $(BUILD)/fuzz/corpus_$$t tests/fuzz/corpus/$$t \
	    2>$(BUILD)/fuzz/$$t.log; rc=$$?; \
	  echo "fuzz: $$t: $$(grep -o 'Done [0-9]* runs' $(BUILD)/fuzz/$$t.log), exit $$rc"; \
	  [ $$rc = 0 ] || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	done

# ---- benchmarks ----------------------------------------------------------------------------
BENCH_MB ?= 512
$(BUILD)/bench/gen_ikemgr_log: bench/gen_ikemgr_log.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_RELEASE) -o $@ $<

bench: $(BUILD)/ikemortem $(BUILD)/bench/gen_ikemgr_log
	BENCH_MB=$(BENCH_MB) BUILD=$(BUILD) bench/run.sh

install: $(BUILD)/ikemortem
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/ikemortem $(DESTDIR)$(PREFIX)/bin/ikemortem

clean:
	rm -rf $(BUILD)
