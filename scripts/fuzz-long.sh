#!/usr/bin/env bash
# Long fuzz runs that add up across sessions and machines: every finished chunk of a run is a
# row of Fuzz/ledger.tsv, keyed by the code its target is built from (its version: the sources
# of that binary at HEAD), so counts on one version can be summed and counts on another are
# never mixed in. See Fuzz/README.md.
#
#   scripts/fuzz-long.sh report                      inputs per target on its version, from the ledger
#   scripts/fuzz-long.sh run [goal] [hours] [target ...]
#       builds (scripts/fuzz.sh), then fuzzes each target below `goal` inputs on its version
#       (default 10000000), one process per core at nice 19 (in a session of its own, niced as
#       a whole: see `idle` below; two cores share the last target), in chunks of FUZZ_CHUNK seconds
#       (default 1800), until every target reaches the goal or `hours` (default 2) pass; a
#       chunk cut short by a kill is lost, nothing else is.
#   scripts/fuzz-long.sh record TARGET SEED LOG      adds a row for a run made by hand (its log)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FUZZ_BUILD:-/tmp/recurrent-fuzz}
LEDGER=$REPO/Fuzz/ledger.tsv
ALL_TARGETS=(safetensors npy courseJSON csv textCorpus fileToNetwork arguments)
declare -A MAX_LEN=([safetensors]=8192 [npy]=4096 [courseJSON]=4096 [csv]=2048 [textCorpus]=2048
                    [fileToNetwork]=256 [arguments]=64)
# fuzzed TARGET: what the target's binary is built from (scripts/fuzz.sh), into the array FUZZED;
# a change to any of it starts that target's counts again. Every target links the library and
# the kernels; only `arguments` compiles the CLI and FuzzCommands.
fuzzed() {
    FUZZED=(Sources/Recurrent Sources/CRecurrentKernels "Fuzz/Targets/$1.swift" scripts/fuzz.sh
            Tests/RecurrentTests/Support/FuzzEntries.swift Tests/RecurrentTests/Support/FuzzNetworkFiles.swift)
    [[ $1 != arguments ]] || FUZZED+=(Sources/RecurrentCLI Tests/RecurrentTests/Support/FuzzCommands.swift)
}

# version TARGET: a 12-digit hash of the target's sources at HEAD; refuses when they differ from HEAD.
version() {
    fuzzed "$1"; cd "$REPO"
    if ! git diff --quiet HEAD -- "${FUZZED[@]}" || [[ -n $(git ls-files --others --exclude-standard -- "${FUZZED[@]}") ]]; then
        echo "the sources of the $1 target differ from HEAD (commit them first): ${FUZZED[*]}" >&2; return 1
    fi
    git ls-tree -r HEAD -- "${FUZZED[@]}" | git hash-object --stdin | cut -c1-12
}

# total VERSION TARGET: the inputs the ledger holds for TARGET on VERSION.
total() { awk -F'\t' -v v="$1" -v t="$2" '$1 == v && $2 == t { n += $3 } END { print n + 0 }' "$LEDGER" 2>/dev/null || echo 0; }

# executions LOG: the inputs a libFuzzer log reports run (its final count, else its last status line).
executions() {
    local n
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -1)
    [[ -n $n ]] || n=$(grep -oE '^#[0-9]+' "$1" | tail -1 | tr -d '#')
    echo "${n:-0}"
}

# append VERSION TARGET INPUTS CRASHES SEED [DATE]: one ledger row, under a lock (two workers
# append); the CPU as lscpu names it, with its family and model (one name covers several cores).
append() {
    mkdir -p "$BUILD"
    local cpu
    cpu="$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1) (family $(sed -n 's/^cpu family[[:space:]]*: *//p' /proc/cpuinfo | head -1), model $(sed -n 's/^model[[:space:]]*: *//p' /proc/cpuinfo | head -1))"
    ( flock 9
      [[ -s $LEDGER ]] || printf 'version\ttarget\tinputs\tcrashes\tseed\tdate\tcpu\n' >"$LEDGER"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-$(date -u +%FT%TZ)}" "$cpu" >>"$LEDGER" ) 9>"$BUILD/ledger.lock"
}

report() {
    echo "inputs per target on its version at HEAD (goal: 10000000 inputs per target, 0 crashes)"
    for t in "${ALL_TARGETS[@]}"; do
        local v; v=$(version "$t") || return 1
        printf '%-14s %s %10s inputs  %s crashes\n' "$t" "$v" "$(total "$v" "$t")" \
            "$(awk -F'\t' -v v="$v" -v t="$t" '$1 == v && $2 == t { n += $4 } END { print n + 0 }' "$LEDGER" 2>/dev/null || echo 0)"
    done
}

# idle COMMAND...: runs COMMAND in a new session whose scheduling group is at nice 19, and
# returns its status. Where the kernel groups processes by session (autogroup, on by default on
# desktops and on many servers), a process's own nice value weighs only against its session's
# other processes: a `nice -n 19` fuzzer in a session of its own takes half the CPU from a build
# in another, and every `setsid` (nohup'd runs, terminals) starts another session.
idle() {
    setsid -w bash -c 'echo 19 > /proc/self/autogroup 2>/dev/null; exec nice -n 19 "$@"' idle "$@"
}

# chunk TARGET GOAL SECONDS: one run toward GOAL, of at most SECONDS; 1 on a crash, 2 when the
# run was stopped (`stop`): its inputs up to its last status line count, as no crash.
chunk() {
    local t=$1 goal=$2 seconds=$3 seed=$RANDOM$RANDOM status=0 v=${VERSION[$1]}
    local log=$BUILD/logs/long-$t-$seed.log remaining=$(( goal - $(total "$v" "$t") ))
    mkdir -p "$BUILD/corpus/$t" "$REPO/Fuzz/crashes/$t"
    cp -n "$REPO/Fuzz/corpus/$t"/* "$BUILD/corpus/$t/" 2>/dev/null || true
    # Each worker keeps to its own core (CORE): the kernels then see one processor and start no
    # thread of their own, whose spinning would take time from the other core's fuzzer.
    local pin=(); [[ -n ${CORE:-} ]] && command -v taskset >/dev/null && pin=(taskset -c "$CORE")
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:malloc_context_size=0 idle "${pin[@]}" \
        "$BUILD/bin/$t" -seed="$seed" -runs="$remaining" -max_total_time="$seconds" -timeout=1800 \
        -rss_limit_mb=2048 -max_len="${MAX_LEN[$t]}" -print_final_stats=1 \
        -artifact_prefix="$REPO/Fuzz/crashes/$t/" ${FUZZ_FLAGS:-} "$BUILD/corpus/$t" >"$log" 2>&1 || status=$?
    if [[ -e $BUILD/long-held/.stop ]]; then append "$v" "$t" "$(executions "$log")" 0 "$seed"; return 2; fi
    append "$v" "$t" "$(executions "$log")" "$(( status == 0 ? 0 : 1 ))" "$seed"
    [[ $status -eq 0 ]] || { echo "$t CRASHED (exit $status), log: $log" >&2; return 1; }
}

# stop: ends every chunk under way with SIGKILL (a SIGINT would reach the `arguments`
# target's in-process `train`, which saves and exits 130: a false crash), marked as stopped.
stop() {
    touch "$BUILD/long-held/.stop"
    pkill -KILL -f "^$BUILD/bin/" 2>/dev/null || true
}

# worker GOAL DEADLINE TARGET...: takes the target nearest the goal (still below it) that no
# other worker holds, runs a chunk of it, and so on until the deadline or the goal: targets
# reach the goal one after another rather than all late together. When every target below the
# goal is held, it joins the one nearest the goal (two libFuzzer processes share a corpus
# folder: each writes a new unit under its hash), so no core idles while a target is left.
# A crashed target is taken by no one again.
worker() {
    local goal=$1 deadline=$2; shift 2
    while (( $(date +%s) + 10 < deadline )); do
        local pick="" most=-1 held="" heldMost=-1 lock
        for t in "$@"; do
            local n; n=$(total "${VERSION[$t]}" "$t")
            (( n < goal )) && [[ ! -e $BUILD/long-held/$t.crashed ]] || continue
            if [[ ! -e $BUILD/long-held/$t ]]; then (( n > most )) && { pick=$t; most=$n; }
            elif (( n > heldMost )); then held=$t; heldMost=$n; fi
        done
        if [[ -n $pick ]]; then
            lock=$BUILD/long-held/$pick; mkdir "$lock" 2>/dev/null || continue
        elif [[ -n $held ]]; then
            pick=$held; lock=$BUILD/long-held/$pick.joined-$BASHPID; mkdir -p "$lock"
        else
            return 0
        fi
        local left=$(( deadline - $(date +%s) )) chunk=${FUZZ_CHUNK:-1800}
        local status=0
        chunk "$pick" "$goal" "$(( left < chunk ? left : chunk ))" || status=$?
        [[ $status -eq 1 ]] && touch "$BUILD/long-held/$pick.crashed"
        rmdir "$lock"
        [[ $status -ne 2 ]] || return 0
    done
}

case ${1:-} in
report) report ;;
record)
    [[ $# -eq 4 && -n $2 && -f $4 ]] && [[ -n ${MAX_LEN[$2]:-} ]] || { echo "usage: $0 record TARGET SEED LOG" >&2; exit 2; }
    v=$(version "$2"); n=$(executions "$4"); fuzzed "$2"
    changed=$(git -C "$REPO" log -1 --format=%ct -- "${FUZZED[@]}")
    if (( $(date -r "$4" +%s) < changed )); then
        echo "$4 is older than the last change to the fuzzed sources ($(date -u -d "@$changed" +%FT%TZ)): it fuzzed another version" >&2; exit 1
    fi
    # A run recorded twice would count twice: the same target, seed and log date is refused.
    if awk -F'\t' -v t="$2" -v s="$3" -v d="$(date -u -r "$4" +%FT%TZ)" '$2 == t && $5 == s && $6 == d { found = 1 } END { exit !found }' "$LEDGER"; then
        echo "$4: this run ($2, seed $3) is in the ledger already" >&2; exit 1
    fi
    crashed=$(grep -cE 'ERROR: (AddressSanitizer|libFuzzer)|Fatal error|fuzz property violated' "$4" || true)
    append "$v" "$2" "$n" "$(( crashed > 0 ? 1 : 0 ))" "$3" "$(date -u -r "$4" +%FT%TZ)"; echo "$2: $n inputs recorded for version $v" ;;
run)
    shift; goal=${1:-10000000}; hours=${2:-2}; shift $(( $# < 2 ? $# : 2 ))
    [[ $goal =~ ^[0-9]+$ && $hours =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "usage: $0 run [goal] [hours] [target ...]" >&2; exit 2; }
    targets=("$@"); [[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
    declare -A VERSION
    for t in "${targets[@]}"; do VERSION[$t]=$(version "$t"); done
    FUZZ_BUILD_ONLY=1 bash "$REPO/scripts/fuzz.sh" 0 "${targets[@]}"
    rm -rf "$BUILD/long-held"; mkdir -p "$BUILD/long-held" "$BUILD/logs"
    deadline=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))
    trap 'stop' INT TERM
    # Workers are pinned to cores 0, 1, ... only when this process may use every core.
    pinned=$(( $(nproc) == $(getconf _NPROCESSORS_ONLN) ))
    for core in $(seq 0 $(( $(nproc) - 1 ))); do
        if (( pinned )); then CORE=$core worker "$goal" "$deadline" "${targets[@]}" & else worker "$goal" "$deadline" "${targets[@]}" & fi
    done
    while ! wait; do :; done  # (a trapped signal ends `wait` early; the workers end their chunks)
    report ;;
*) sed -n '6,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
