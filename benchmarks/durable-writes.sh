#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Durable writes against the durable-copy floor, whole processes: `weightmap convert`, `weightmap shard` and
# `weightmap export-dduf` against `cp` of the same input followed by `sync` of the copies and their folder (fsync of
# each): floor-convert and floor-shard copy MODEL.bin, floor-export-dduf copies FOLDER (`cp -r`).
#
#   benchmarks/durable-writes.sh MODEL.bin FOLDER [PAIRS]
#
# MODEL.bin: a torch checkpoint (for example 1 GiB: torch.save of 32 F32 tensors of 32 MiB, {f"layer{i}.weight":
# torch.randn(8 << 20) for i in range(32)}); FOLDER: a diffusers folder to export as DDUF (model_index.json naming
# its component folders, each with a config.json and a .safetensors file). The outputs go to a new temporary
# folder next to MODEL.bin (the same file system), emptied between runs and removed at the end; the log of every
# run is kept next to it (its name is printed). Every run is preceded by a
# global `sync`, so the dirty pages of one run are not forced by the next. After one warm-up of each command, PAIRS
# (default 5) rounds alternate ours and the floor, the order flipped every round. Printed per run: wall, user and
# system CPU seconds, peak RSS (GNU time); at the end, per command, the medians and the median of the pair-by-pair
# ratios ours/floor. The load average is printed before and after: the disk and CPUs may be shared.
#
# Environment: WEIGHTMAP (default: bin/weightmap of this checkout); TIME (default /usr/bin/time); COMMANDS (default
# "convert shard export-dduf": the commands measured, each with its floor); BASELINE: the bin/weightmap of another
# build (an older commit, say), run in the same rounds as "base-COMMAND" and compared with ours.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 MODEL.bin FOLDER [PAIRS]" >&2; exit 2; }
model=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
folder=$(cd "$2" && pwd -P)
pairs=${3:-5}
here=$(cd "$(dirname "$0")/.." && pwd -P)
wm=${WEIGHTMAP:-$here/bin/weightmap}
timer=${TIME:-/usr/bin/time}
out=$(mktemp -d "$(dirname "$model")/durable-writes.XXXXXX")
log=$out.log
: > "$log"
trap 'rm -rf "$out" "$out.time" "$out.base-cache"' EXIT

one_base() ( # COMMAND: the baseline build's run of COMMAND, timed into $out.time, in a subshell with its own AOT
    # cache folder (a launcher removes the caches of other builds from its folder)
    XDG_CACHE_HOME=$out.base-cache
    export XDG_CACHE_HOME
    case $1 in
        convert) "$timer" -o "$out.time" -f '%e %U %S %M' "$BASELINE" convert "$model" "$out/model.safetensors" >/dev/null ;;
        shard) "$timer" -o "$out.time" -f '%e %U %S %M' "$BASELINE" shard "$model" "$out" --max-shard-size 200MB >/dev/null ;;
        export-dduf) "$timer" -o "$out.time" -f '%e %U %S %M' "$BASELINE" export-dduf "$folder" "$out/model.dduf" >/dev/null ;;
    esac
)

one() { # NAME ROUND: one timed run into an emptied OUTDIR, appended to the log
    name=$1 round=$2
    rm -rf "$out"/* "$out"/.weightmap-tmp-* 2>/dev/null || true
    sync
    set +e
    case $name in
        convert) "$timer" -o "$out.time" -f '%e %U %S %M' "$wm" convert "$model" "$out/model.safetensors" >/dev/null ;;
        shard) "$timer" -o "$out.time" -f '%e %U %S %M' "$wm" shard "$model" "$out" --max-shard-size 200MB >/dev/null ;;
        export-dduf) "$timer" -o "$out.time" -f '%e %U %S %M' "$wm" export-dduf "$folder" "$out/model.dduf" >/dev/null ;;
        base-*) one_base "${name#base-}" ;;
        floor-convert|floor-shard) "$timer" -o "$out.time" -f '%e %U %S %M' sh -c 'cp "$1" "$2/" && sync "$2/$(basename "$1")" "$2"' \
            sh "$model" "$out" ;;
        floor-export-dduf) "$timer" -o "$out.time" -f '%e %U %S %M' sh -c 'cp -r "$1" "$2/copy" && sync $(find "$2/copy" -type f) "$2/copy" "$2"' \
            sh "$folder" "$out" ;;
    esac
    rc=$?
    set -e
    [ $rc -eq 0 ] || { echo "$name failed (exit $rc)" >&2; exit 1; }
    t=$(tail -1 "$out.time")
    echo "$name $round $t" >> "$log"
    echo "  $name: wall ${t%% *} s   user/sys/rss(KB): ${t#* }"
}

echo "load before: $(cat /proc/loadavg)"
commands=${COMMANDS:-convert shard export-dduf}
for c in $commands; do
    one "$c" warmup; one "floor-$c" warmup
    if [ -n "${BASELINE:-}" ]; then one "base-$c" warmup; fi
done
i=1
while [ "$i" -le "$pairs" ]; do
    echo "round $i ($(cut -d' ' -f1-3 /proc/loadavg))"
    for c in $commands; do
        if [ $((i % 2)) -eq 1 ]; then one "$c" "$i"; one "floor-$c" "$i"; else one "floor-$c" "$i"; one "$c" "$i"; fi
        if [ -n "${BASELINE:-}" ]; then one "base-$c" "$i"; fi
    done
    i=$((i + 1))
done
echo "load after: $(cat /proc/loadavg)"
echo "log: $log"

# medians; ratios pair by pair (round by round) against the floor of the same round
awk -v pairs="$pairs" -v commands="$commands" -v base="${BASELINE:+1}" '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$2 != "warmup" {
    wall[$1, $2] = $3
    cpu[$1, $2] = $4 + $5; rss[$1, $2] = $6
}
END {
    n = split(commands, cmds, " ")
    printf "%-12s %10s %10s %10s %10s %18s", "command", "wall (s)", "cpu (s)", "rss (MiB)", "floor (s)", "ratio (min-max)"
    if (base) printf " %10s %10s %18s", "base (s)", "base cpu", "ours/base"
    printf "\n"
    for (k = 1; k <= n; k++) {
        p[1] = cmds[k]; p[2] = "floor-" cmds[k]
        for (r = 1; r <= pairs; r++) {
            w[r] = wall[p[1], r]; f[r] = wall[p[2], r]; q[r] = wall[p[1], r] / wall[p[2], r]
            if (base) { b[r] = wall["base-" p[1], r]; bc[r] = cpu["base-" p[1], r]; bq[r] = w[r] / b[r] }
            c[r] = cpu[p[1], r]; m[r] = rss[p[1], r] / 1024
        }
        lo = 1e9; hi = 0
        for (r = 1; r <= pairs; r++) { if (q[r] < lo) lo = q[r]; if (q[r] > hi) hi = q[r] }
        printf "%-12s %10.3f %10.3f %10.1f %10.3f %6.2fx (%.2f-%.2f)", p[1], median(w, pairs), median(c, pairs),
            median(m, pairs), median(f, pairs), median(q, pairs), lo, hi
        if (base) {
            printf " %10.3f %10.3f %6.2fx", median(b, pairs), median(bc, pairs), median(bq, pairs)
        }
        printf "\n"
    }
}' "$log"
