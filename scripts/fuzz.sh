#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/Targets (with AddressSanitizer) and runs each for a while
# on a copy of its seed corpus. See Fuzz/README.md.
#
#   scripts/fuzz.sh [seconds-per-target (default 30)] [target ...]     (default: every target)
#
# Builds into ${FUZZ_BUILD:-/tmp/recurrent-fuzz} (incrementally), never into the repository; new
# corpus entries go there too. A crashing input is written to Fuzz/crashes/<target>/. Prints,
# per target, the executions and whether it crashed; exits non-zero on a crash or a failed build.
# FUZZ_RUNS=N runs N inputs per target from a fixed seed instead of for a time (what CI does:
# the same inputs every time, so a red CI is a real crash, not bad luck).
# FUZZ_BUILD_ONLY=1 builds and stops (scripts/fuzz-long.sh runs the binaries itself).
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-fork=1 -ignore_crashes=1 to go on past a crash).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FUZZ_BUILD:-/tmp/recurrent-fuzz}
ALL_TARGETS=(safetensors npy courseJSON csv textCorpus fileToNetwork arguments)
declare -A MAX_LEN=([safetensors]=8192 [npy]=4096 [courseJSON]=4096 [csv]=2048 [textCorpus]=2048
                    [fileToNetwork]=256 [arguments]=64)

SECONDS_PER_TARGET=${1:-30}
[[ $# -gt 0 ]] && shift
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds-per-target] [target ...]" >&2; exit 2; }
TARGETS=("$@")
[[ ${#TARGETS[@]} -eq 0 ]] && TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
    [[ -n ${MAX_LEN[$t]:-} ]] || { echo "unknown target '$t' (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

# Swift's crash reporter hangs under ASan; libFuzzer reports the crash itself.
export SWIFT_BACKTRACE=enable=no
# Swift's runtime keeps allocations that LeakSanitizer would report at every exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
SWIFTC=$(command -v swiftc) || { echo "swiftc not found" >&2; exit 1; }
CLANG=$(dirname "$SWIFTC")/clang

# The dependencies' sources: the package's own checkouts, or resolved into the build directory.
CHECKOUTS=""
for dir in "$REPO/.build/checkouts" "$BUILD/spm/checkouts"; do
    if [[ -d $dir/swift-argument-parser/Sources && -d $dir/swift-numerics/Sources ]]; then CHECKOUTS=$dir; break; fi
done
if [[ -z $CHECKOUTS ]]; then
    echo "resolving the package's dependencies into $BUILD/spm"
    swift package --package-path "$REPO" --scratch-path "$BUILD/spm" resolve
    CHECKOUTS=$BUILD/spm/checkouts
fi
NUMERICS=$CHECKOUTS/swift-numerics/Sources
PARSER=$CHECKOUTS/swift-argument-parser/Sources
KERNELS=$REPO/Sources/CRecurrentKernels

mkdir -p "$BUILD"/{c,obj,modules,modulemaps/CRecurrentKernels,bin,corpus,logs,module-cache}
printf 'module CRecurrentKernels {\n    umbrella "%s"\n    export *\n}\n' "$KERNELS/include" \
    >"$BUILD/modulemaps/CRecurrentKernels/module.modulemap"

SWIFT_FLAGS=(-O -g -swift-version 6 -suppress-warnings -I "$BUILD/modules" -module-cache-path "$BUILD/module-cache")
IMPORTS=(-Xcc "-fmodule-map-file=$BUILD/modulemaps/CRecurrentKernels/module.modulemap" -Xcc -I -Xcc "$KERNELS/include"
         -Xcc "-fmodule-map-file=$NUMERICS/_NumericsShims/include/module.modulemap" -Xcc -I -Xcc "$NUMERICS/_NumericsShims/include")
FUZZ=(-sanitize=fuzzer,address)
LINK=(-use-ld=lld)

# stale OUTPUT INPUT...: true when OUTPUT is missing or older than any input file.
stale() {
    local out=$1; shift
    [[ ! -e $out ]] || [[ -n $(find "$@" -newer "$out" -print -quit 2>/dev/null) ]]
}
# sources DIR: the Swift files under DIR, NUL-separated into the array SOURCES.
sources() { mapfile -d '' SOURCES < <(find "$1" -name '*.swift' -print0 | sort -z); }
step() { echo "building $1"; }

build() {
    # The kernels, instrumented: every ISA file (the #pragma target regions need no flags).
    for c in "$KERNELS"/dispatch.c "$KERNELS"/isa/*.c; do
        local o=$BUILD/c/$(basename "$c" .c).o
        if stale "$o" "$c" "$KERNELS/include" "$KERNELS/body"; then
            step "$(basename "$c")"
            "$CLANG" -c -fsanitize=fuzzer-no-link,address -O1 -g -fPIC -I "$KERNELS/include" "$c" -o "$o" || return 1
        fi
    done
    if stale "$BUILD/c/NumericsShims.o" "$NUMERICS/_NumericsShims"; then
        step _NumericsShims
        "$CLANG" -c -O1 -g -fPIC -I "$NUMERICS/_NumericsShims/include" "$NUMERICS/_NumericsShims/_NumericsShims.c" \
            -o "$BUILD/c/NumericsShims.o" || return 1
    fi
    # Dependencies (RealModule uninstrumented; the argument parser instrumented, it is fuzzed).
    swift_module RealModule "$NUMERICS/RealModule" -swift-version 5 || return 1
    swift_module ArgumentParserToolInfo "$PARSER/ArgumentParserToolInfo" || return 1
    swift_module ArgumentParser "$PARSER/ArgumentParser" "${FUZZ[@]}" || return 1
    # The library, instrumented, testable (the entries use `@testable import Recurrent`).
    swift_module Recurrent "$REPO/Sources/Recurrent" "${FUZZ[@]}" -enable-testing || return 1
    local entries=("$REPO/Tests/RecurrentTests/Support/FuzzEntries.swift" "$REPO/Tests/RecurrentTests/Support/FuzzNetworkFiles.swift")
    local library=("$BUILD/obj/Recurrent.o" "$BUILD/obj/RealModule.o" "$BUILD"/c/*.o -lm)
    for t in "${TARGETS[@]}"; do
        local target=$REPO/Fuzz/Targets/$t.swift out=$BUILD/bin/$t
        if [[ $t == arguments ]]; then
            # The CLI's sources in their own module, `@main` renamed so that libFuzzer's main runs.
            sources "$REPO/Sources/RecurrentCLI"
            # FuzzCommands runs the parsed commands; RECURRENT_FUZZ_CLI drops its import of the CLI.
            local commands=$REPO/Tests/RecurrentTests/Support/FuzzCommands.swift
            if stale "$out" "$target" "$commands" "${entries[@]}" "${SOURCES[@]}" "$BUILD/obj/Recurrent.o" "$BUILD/obj/ArgumentParser.o"; then
                step "$t"
                "$SWIFTC" "${FUZZ[@]}" "${SWIFT_FLAGS[@]}" "${IMPORTS[@]}" -module-name RecurrentCLI -D RECURRENT_FUZZ_CLI \
                    -Xfrontend -entry-point-function-name -Xfrontend RecurrentCLI_main \
                    "${SOURCES[@]}" "$target" "$commands" "${entries[@]}" "${library[@]}" \
                    "$BUILD/obj/ArgumentParser.o" "$BUILD/obj/ArgumentParserToolInfo.o" -o "$out" || return 1
            fi
        elif stale "$out" "$target" "${entries[@]}" "$BUILD/obj/Recurrent.o"; then
            step "$t"
            "$SWIFTC" "${FUZZ[@]}" "${SWIFT_FLAGS[@]}" "${IMPORTS[@]}" -parse-as-library -module-name FuzzTarget \
                "$target" "${entries[@]}" "${library[@]}" -o "$out" || return 1
        fi
    done
}

# swift_module NAME DIR [FLAG...]: DIR's Swift files as module NAME (one object, whole-module).
swift_module() {
    local name=$1 dir=$2; shift 2
    sources "$dir"
    if stale "$BUILD/obj/$name.o" "${SOURCES[@]}" || [[ ! -e $BUILD/modules/$name.swiftmodule ]]; then
        step "$name"
        "$SWIFTC" -parse-as-library -wmo "${SWIFT_FLAGS[@]}" "${IMPORTS[@]}" "$@" -module-name "$name" \
            -emit-module -emit-module-path "$BUILD/modules/$name.swiftmodule" -c "${SOURCES[@]}" -o "$BUILD/obj/$name.o" || { rm -f "$BUILD/obj/$name.o"; return 1; }
    fi
}

# run TARGET: one libFuzzer run; prints a summary line, returns non-zero on a crash.
run() {
    local t=$1 corpus=$BUILD/corpus/$t crashes=$REPO/Fuzz/crashes/$t log=$BUILD/logs/$t.log status=0
    mkdir -p "$corpus" "$crashes"
    cp -n "$REPO/Fuzz/corpus/$t"/* "$corpus/" 2>/dev/null || true
    local before
    before=$(find "$crashes" -type f | sort)
    # shellcheck disable=SC2086
    local budget=(-max_total_time="$SECONDS_PER_TARGET")
    [[ -n ${FUZZ_RUNS:-} ]] && budget=(-runs="$FUZZ_RUNS" -seed=1)
    "$BUILD/bin/$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -max_len="${MAX_LEN[$t]}" \
        -print_final_stats=1 -artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1 || status=$?
    local execs rate new
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    new=$(comm -13 <(echo "$before") <(find "$crashes" -type f | sort) | tr '\n' ' ')
    if [[ $status -eq 0 ]]; then
        printf '%-14s %10s executions  %6s/s  no crash\n' "$t" "${execs:-?}" "${rate:-?}"
    else
        printf '%-14s %10s executions  %6s/s  CRASHED (exit %d): %s log: %s\n' "$t" "${execs:-?}" "${rate:-?}" "$status" \
            "${new:-(no artifact)}" "$log"
        grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer)|Fatal error|fuzz property violated' "$log" | sed 's/^/    /' || true
        return 1
    fi
}

if ! build; then
    echo "fuzz build failed" >&2
    exit 1
fi
[[ -n ${FUZZ_BUILD_ONLY:-} ]] && exit 0
budget_text=${SECONDS_PER_TARGET}s
[[ -n ${FUZZ_RUNS:-} ]] && budget_text="$FUZZ_RUNS inputs"
echo "running ${TARGETS[*]} for $budget_text each (logs in $BUILD/logs)"
failed=0
for t in "${TARGETS[@]}"; do run "$t" || failed=1; done
exit $failed
