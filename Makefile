# Switchboard - GNU make build.
#
#   make          release binary at build/switchboard
#   make run      install what is missing, build, migrate, load demo data, serve on :8080
#   make test     install what is missing, build with ASan/UBSan, run every test
#   make bench    the benchmarks in bench/ (long; not part of make test)
#   make fuzz     fuzz each fuzz/ target with clang + libFuzzer, FUZZ_SECONDS (60) each
#                 (FUZZ_TARGETS="form phone" for some); make test replays the corpora
#
# Libraries come from pkg-config; scripts/deps.sh installs the Debian packages that are missing.

PKGS     := libmicrohttpd jansson sqlite3 libcrypto libcurl libpq
CC       ?= cc
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
INCLUDES := -Isrc
# V=1 shows the full compiler command lines.
Q        := $(if $(V),,@)

SRC := $(shell find src -name '*.c' | sort)
GEN := build/gen/sq_migrations.c
MIGRATIONS := $(wildcard src/store/migrations/sqlite/*.sql)

REL_DIR  := build/rel
ASAN_DIR := build/asan
REL_OBJ  := $(patsubst src/%.c,$(REL_DIR)/%.o,$(SRC)) $(REL_DIR)/gen/sq_migrations.o
ASAN_OBJ := $(patsubst src/%.c,$(ASAN_DIR)/%.o,$(SRC)) $(ASAN_DIR)/gen/sq_migrations.o
LIB_OBJ_REL  := $(filter-out $(REL_DIR)/main.o,$(REL_OBJ))
LIB_OBJ_ASAN := $(filter-out $(ASAN_DIR)/main.o,$(ASAN_OBJ))

REL_FLAGS  := -O2 -g -DNDEBUG
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

UNIT_SRC := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN := $(patsubst tests/unit/%.c,$(ASAN_DIR)/tests/%,$(UNIT_SRC))

.PHONY: all deps run test bench clean docs asan fuzz fuzz-replay

all: build/switchboard

deps:
	@scripts/deps.sh

build/switchboard: $(REL_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(REL_FLAGS) -o $@ $^ $(PKG_LIBS)

$(ASAN_DIR)/switchboard: $(ASAN_OBJ)
	@echo "  LD asan $@"
	$(Q)$(CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS)

asan: $(ASAN_DIR)/switchboard $(UNIT_BIN)

$(GEN): $(MIGRATIONS) src/store/migrations/sqlite scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-migrations.sh src/store/migrations/sqlite sq > $@

$(REL_DIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CSTD) $(WARN) $(REL_FLAGS) $(INCLUDES) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(ASAN_DIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	$(Q)$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(REL_DIR)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(REL_FLAGS) -c -o $@ $<

$(ASAN_DIR)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(ASAN_FLAGS) -c -o $@ $<

# Unit tests: one executable per file, linked against every module but main.o.
$(ASAN_DIR)/tests/%: tests/unit/%.c $(LIB_OBJ_ASAN)
	@mkdir -p $(dir $@)
	@echo "  TEST    $<"
	$(Q)$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) -Itests/unit -o $@ $< \
	    $(filter-out $(patsubst tests/unit/%.c,$(ASAN_DIR)/%.o,$(subst test_,,$<)),$(LIB_OBJ_ASAN)) \
	    $(PKG_LIBS)

run: deps build/switchboard
	@scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory build/switchboard asan
	@scripts/test.sh

bench: deps build/switchboard
	@bench/run.sh

FUZZ_TARGETS ?= $(basename $(notdir $(filter-out fuzz/replay_main.c,$(wildcard fuzz/*.c))))
FUZZ_SECONDS ?= 60

# Fuzzing with clang + libFuzzer; each run merges what it found into fuzz/corpus/<target>.
fuzz: $(GEN)
	@for t in $(FUZZ_TARGETS); do \
	    PKGS="$(PKGS)" scripts/fuzz-replay.sh --fuzz $$t $(FUZZ_SECONDS) || exit 1; \
	done

# The corpora replayed against the ASan build (scripts/test.sh does the same in make test).
fuzz-replay: asan
	@PKGS="$(PKGS)" CC="$(CC)" scripts/fuzz-replay.sh

docs: build/switchboard
	build/switchboard help config > docs/config.md

clean:
	rm -rf build

-include $(REL_OBJ:.o=.d) $(ASAN_OBJ:.o=.d)
