#!/usr/bin/env bash
# cluster.sh — a private single-node Slurm cluster (munged, slurmctld, slurmd) whose
# every file lives in one directory, to test scripts/slurm/ against a real Slurm.
#
#   eval "$(tests/slurm/cluster.sh start DIR)"   # prints: export SLURM_CONF=DIR/slurm.conf
#   sbatch ... ; squeue ; ...
#   tests/slurm/cluster.sh stop DIR
#
# start exits 77 (the test runner's "skipped") with one line on stderr saying why when
# it cannot start a cluster (not root, a program missing, a daemon dying: then the
# daemons' log tails come first), and leaves nothing running.  A DIR that already holds
# a cluster has it stopped first.  stop signals only the pids that start recorded in
# DIR/pid/, and only while they are still the daemons of DIR.  See tests/slurm/README.md.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin  # the daemons live in sbin, not on every user's PATH

usage() {
    echo "usage: tests/slurm/cluster.sh start|stop DIR" >&2
    exit 2
}
[[ $# -eq 2 && ( $1 == start || $1 == stop ) ]] || usage
action=$1
DIR=$(realpath -m -- "$2")
conf=$DIR/slurm.conf
host=$(hostname -s)

# alive PID: the process exists and is not a zombie (kill -0 succeeds on a zombie, and
# a daemon we started and that died stays one until this script waits for it)
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# ours NAME PID: PID is still daemon NAME of this DIR (a recorded pid may have been
# reused by an unrelated process since)
ours() {
    local cmdline
    cmdline=$(tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$1"*"$DIR/"* ]]
}

# stop_daemon NAME: TERM, wait up to 10 s, then KILL; only the recorded pid
stop_daemon() {
    local name=$1 pidfile=$DIR/pid/$1 pid i
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if alive "$pid" && ours "$name" "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            echo "cluster.sh: $name ($pid) ignored TERM for 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                alive "$pid" || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$pidfile"
}

# stop_cluster: cancel the cluster's jobs first, because a job's slurmstepd outlives
# slurmd; then the daemons, in the reverse order of their start
stop_cluster() {
    local i ids
    if [[ -f $DIR/pid/slurmctld ]] && alive "$(<"$DIR/pid/slurmctld")"; then
        ids=$(SLURM_CONF=$conf squeue -h -o %A 2>/dev/null || true)
        if [[ -n $ids ]]; then
            # shellcheck disable=SC2086  # one id per word
            SLURM_CONF=$conf scancel $ids 2>/dev/null || true
            # each running step has a socket in the spool dir until its slurmstepd ends
            for ((i = 0; i < 150; i++)); do
                [[ -z $(SLURM_CONF=$conf squeue -h 2>/dev/null) ]] &&
                    ! compgen -G "$DIR/spool/${host}_*" >/dev/null && break
                sleep 0.1
            done
        fi
    fi
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
}

if [[ $action == stop ]]; then
    [[ -d $DIR ]] || { echo "cluster.sh: no such directory: $DIR" >&2; exit 2; }
    stop_cluster
    exit 0
fi

# ---- start --------------------------------------------------------------------------
skip() {
    echo "cluster.sh: cannot start a cluster in $DIR: $*" >&2
    exit 77
}
[[ $(id -u) -eq 0 ]] || skip "not root (slurmd runs each job as the user who submitted it)"
for prog in munged mungekey munge unmunge slurmctld slurmd sinfo squeue scontrol sbatch; do
    command -v "$prog" >/dev/null ||
        skip "$prog not found (scripts/setup.sh --slurm installs slurm-wlm and munge)"
done

mkdir -p "$DIR"
if compgen -G "$DIR/pid/*" >/dev/null; then
    echo "cluster.sh: stopping the cluster already in $DIR" >&2
    stop_cluster
fi
started=$(date +%s%3N)
# a fresh cluster: no jobs recovered from an old state, no old logs to confuse a reader
rm -rf "$DIR/state" "$DIR/spool" "$DIR/pid" "$DIR"/*.log "$DIR"/*.out "$DIR/munge.key"
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/pid"

ok=0
on_exit() {
    local rc=$?
    [[ $ok -eq 1 ]] && return
    stop_cluster >/dev/null 2>&1 || true
    [[ $rc -eq 77 ]] || echo "cluster.sh: cannot start a cluster in $DIR: exit $rc, see above" >&2
    exit 77
}
trap on_exit EXIT
trap 'skip "interrupted"' INT TERM HUP  # then the EXIT trap stops what was started

# fail WHY: the daemons' log tails, then the one line that says why
fail() {
    local name f
    for name in munged slurmctld slurmd; do
        f=$DIR/$name.log
        [[ -s $f ]] || f=$DIR/$name.out  # a daemon that died before opening its log
        [[ -s $f ]] || continue
        echo "---- tail of $f" >&2
        tail -n 15 "$f" >&2
    done
    skip "$*"
}

# launch NAME COMMAND...: in the background, in its own session (a Ctrl-C in the caller's
# terminal must not reach it), with every descriptor away from the caller's: whoever
# runs `eval "$(cluster.sh start DIR)"` waits until all writers of that pipe are gone
launch() {
    local name=$1
    shift
    setsid "$@" </dev/null >"$DIR/$name.out" 2>&1 &
    echo $! >"$DIR/pid/$name"
}

# wait_for SECONDS WHAT COMMAND...: poll COMMAND; fail if a daemon dies or time runs out
# (COMMAND prints nothing; it may leave in $seen what it last saw, for the message)
seen=
wait_for() {
    local limit=$1 what=$2 deadline name pid rc
    shift 2
    deadline=$((SECONDS + limit))
    until "$@"; do
        for name in munged slurmctld slurmd; do
            [[ -f $DIR/pid/$name ]] || continue
            pid=$(<"$DIR/pid/$name")
            if ! alive "$pid"; then
                rc=0
                wait "$pid" || rc=$?
                fail "$name exited with status $rc while waiting for $what"
            fi
        done
        ((SECONDS < deadline)) || fail "no $what after $limit s${seen:+ ($seen)}"
        sleep 0.2
    done
}

# free_port: a TCP port nobody listens on, below Linux's ephemeral range (32768-) so that
# no outgoing connection takes it between now and the daemon's bind
free_port() {
    local port
    while :; do
        port=$((10000 + RANDOM % 22000))
        [[ -z $(ss -Htan "( sport = :$port )" 2>/dev/null) ]] &&
            ! grep -qx "$port" "$DIR/ports" 2>/dev/null && break
    done
    echo "$port" | tee -a "$DIR/ports"
}

# --- munged: its own key and socket; the clients and daemons find the socket through
# AuthInfo in slurm.conf, so the system's munged (if any) is never used
mungekey --create --force --keyfile="$DIR/munge.key" 2>"$DIR/mungekey.out" ||
    fail "mungekey: $(<"$DIR/mungekey.out")"
chmod 0400 "$DIR/munge.key"
# --force: munged refuses a group- or world-writable DIR (no sticky bit) for its key,
# seed and socket; a test's scratch directory may well be one.  In the foreground
# munged logs to stderr (DIR/munged.out), not to a --log-file.
launch munged munged --foreground --force \
    --socket="$DIR/munge.socket" --key-file="$DIR/munge.key" \
    --pid-file="$DIR/munged.pid" --seed-file="$DIR/munged.seed"
munge_ok() { munge -n -S "$DIR/munge.socket" 2>/dev/null | unmunge -S "$DIR/munge.socket" >/dev/null 2>&1; }
wait_for 10 "munge credential" munge_ok

# --- slurm.conf
rm -f "$DIR/ports"
ctld_port=$(free_port)
slurmd_port=$(free_port)
# the node as slurmd sees it (CPUs, sockets, cores, threads, RealMemory): a node whose
# configuration claims more than the hardware has is refused (inval) at registration
node=$(slurmd -C | head -n 1) || fail "slurmd -C failed"
[[ $node == "NodeName=$host "* ]] || fail "slurmd -C printed '$node', not NodeName=$host"
: >"$DIR/plugstack.conf"
cat >"$conf" <<EOF
# Generated by tests/slurm/cluster.sh: a private single-node cluster, every file in
# $DIR.  tests/slurm/README.md says why each setting is there.
ClusterName=rbtest
# loopback addresses: the cluster works whatever the host name resolves to
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job waits this long before it may start again (default 120)
AuthInfo=socket=$DIR/munge.socket,cred_expire=10
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
PlugStackConfig=$DIR/plugstack.conf
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# no cgroups: works in containers and without systemd, needs no cgroup.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
JobRequeue=1
ReturnToService=2
# short timeouts so that a test does not wait on defaults made for big clusters
SlurmctldTimeout=10
SlurmdTimeout=10
MessageTimeout=5
KillWait=2
InactiveLimit=0
# a job whose begin time passes (a requeued one) waits for the periodic scheduling
# passes, every 60 s and 30 s by default; other events schedule at once
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
# finished jobs stay visible to squeue/scontrol for 10 minutes
MinJobAge=600
NodeName=${node#NodeName=} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

# --- the daemons, in the foreground (-D) so that the pid recorded is the daemon's own
launch slurmctld slurmctld -D -f "$conf" -L "$DIR/slurmctld.log"
export SLURM_CONF=$conf
ctld_up() {
    seen=$(scontrol ping 2>&1) || true
    [[ $seen == *" is UP"* ]]
}
wait_for 30 "answer from slurmctld" ctld_up
launch slurmd slurmd -D -f "$conf" -L "$DIR/slurmd.log"
node_idle() {
    local state
    state=$(sinfo -h -N -n "$host" -o %T 2>&1) || true
    seen="sinfo says node $host is '$state'"
    # slurmd registered and slurmctld refused the node: waiting would not help
    case $state in
    inval* | drain*) fail "node $host is $state: $(sinfo -h -N -n "$host" -o %E)" ;;
    esac
    [[ $state == idle ]]
}
wait_for 60 "idle node" node_idle

ok=1
ms=$(($(date +%s%3N) - started))
echo "cluster.sh: cluster up in $DIR in $((ms / 1000)).$((ms % 1000 / 100)) s (slurmctld port $ctld_port, slurmd port $slurmd_port)" >&2
echo "export SLURM_CONF=$conf"
