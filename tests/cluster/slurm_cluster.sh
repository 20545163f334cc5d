#!/usr/bin/env bash
# Throwaway single-node Slurm cluster living entirely inside one directory.
#
#   slurm_cluster.sh start DIR   -> exit 0 once the node is idle; `source DIR/env`
#                                   to point sinfo/sbatch/scontrol at it.
#                                   exit 77 (ctest skip code) if Slurm cannot run
#                                   here, with the reason on stderr.
#   slurm_cluster.sh stop DIR    -> kill the daemons recorded in DIR/pids, wait.
#
# Nothing outside DIR is written: /etc/slurm and /run/munge are never touched so
# this can coexist with a real cluster (or another throwaway one) on the host.
set -euo pipefail

readonly SKIP=77
readonly READY_TIMEOUT=${SLURM_CLUSTER_READY_TIMEOUT:-60}
readonly STOP_TIMEOUT=20

log() { printf 'slurm_cluster.sh: %s\n' "$*" >&2; }

usage() {
  log "usage: slurm_cluster.sh start|stop DIR"
  exit 2
}

# --- pid bookkeeping ---------------------------------------------------------
# DIR/pids holds "name pid" lines. The name is checked against /proc/PID/comm
# before signalling, so a stale file can never make us kill a recycled pid.

record_pid() { printf '%s %s\n' "$1" "$2" >>"$DIR/pids"; }

# True while PID is a live process called NAME. Zombies count as gone: in
# containers whose pid 1 does not reap, exited daemons linger as zombies.
is_ours_alive() {
  local name=$1 pid=$2 comm state
  [[ -r /proc/$pid/comm ]] || return 1
  comm=$(<"/proc/$pid/comm") || return 1
  [[ $comm == "$name" ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ $state != Z && $state != X ]]
}

# procps (pgrep) is not in a minimal Debian, so walk /proc by hand.
pids_named() {
  local d comm
  for d in /proc/[0-9]*; do
    comm=$(cat "$d/comm" 2>/dev/null) || continue
    [[ $comm == "$1" ]] && echo "${d#/proc/}"
  done
  return 0
}

process_tree() {
  local d stat rest ppid
  echo "$1"
  for d in /proc/[0-9]*; do
    stat=$(cat "$d/stat" 2>/dev/null) || continue
    # Field 4 is the ppid; comm (field 2) may contain spaces, so cut after ")".
    rest=${stat##*) }
    read -r _ ppid _ <<<"$rest"
    if [[ $ppid == "$1" ]]; then process_tree "${d#/proc/}"; fi
  done
}

stop_daemons() {
  [[ -f $DIR/pids ]] || return 0
  local -a names=() pids=()
  local name pid i
  while read -r name pid; do
    [[ -n ${pid:-} ]] || continue
    names+=("$name")
    pids+=("$pid")
  done <"$DIR/pids"

  # Cancel leftover jobs first, so slurmd tears down their slurmstepd and job
  # processes itself instead of orphaning them when it goes away.
  for i in "${!pids[@]}"; do
    if [[ ${names[i]} == slurmctld ]] && is_ours_alive slurmctld "${pids[i]}"; then
      SLURM_CONF=$DIR/slurm.conf timeout 10 scancel --full --user=root >/dev/null 2>&1 || true
    fi
  done

  # One at a time in reverse start order: slurmd and slurmctld still talk
  # through munge while shutting down, so munged must outlive them.
  local deadline
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    is_ours_alive "${names[i]}" "${pids[i]}" || continue
    kill -TERM "${pids[i]}" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while is_ours_alive "${names[i]}" "${pids[i]}"; do
      if ((SECONDS >= deadline)); then
        log "${names[i]} (pid ${pids[i]}) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "${pids[i]}" 2>/dev/null || true
        sleep 0.5
        break
      fi
      sleep 0.1
    done
  done

  # slurmd deliberately leaves running job steps alone when it exits (so it can
  # be restarted under them), so if the scancel above could not happen (dead
  # controller) slurmstepd and the job survive. Its environment is empty and its
  # argv just "slurmstepd: [JOB.STEP]", but it inherits slurmd's log file
  # descriptor, which names our DIR. The job's processes are its descendants.
  local stepd fd
  for stepd in $(pids_named slurmstepd); do
    for fd in /proc/"$stepd"/fd/*; do
      if [[ $(readlink "$fd" 2>/dev/null) == "$DIR"/* ]]; then
        log "killing leftover slurmstepd $stepd and its job processes"
        # Collect the whole tree before killing anything: once slurmstepd dies
        # its children are reparented and can no longer be found by ppid.
        # shellcheck disable=SC2046
        kill -KILL $(process_tree "$stepd") 2>/dev/null || true
        break
      fi
    done
  done
  rm -f "$DIR/pids"
}

# ERR trap helper; inside a trap BASH_COMMAND is still the failing command.
note_error() {
  failed_cmd=${BASH_COMMAND%%$'\n'*}
  failed_line=$1
}

# --- start -----------------------------------------------------------------------

# Called on any failure during start: one-line reason (plus optional log tail),
# no daemon left behind, skip code.
fail() {
  local reason=$1 logfile=${2:-}
  trap - EXIT
  log "cannot start Slurm here: $reason"
  if [[ -n $logfile && -s $logfile ]]; then
    tail -n 15 "$logfile" | sed 's/^/    /' >&2
  fi
  stop_daemons
  exit "$SKIP"
}

port_in_use() {
  local hex f
  hex=$(printf '%04X' "$1")
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    # Column 2 is local addr:port, column 4 the state; 0A == LISTEN.
    if awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' "$f"; then
      return 0
    fi
  done
  # /proc/net may be hidden (some sandboxes); fall back to trying to connect.
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
  return 1
}

# Random, so concurrent clusters rarely race for the same port, and below the
# usual ephemeral range (32768+) so an outgoing connection cannot grab it
# between our check and the daemon's bind().
pick_port() {
  local avoid=${1:-0} port
  for _ in {1..200}; do
    port=$((20000 + RANDOM % 12000))
    ((port != avoid)) || continue
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  return 1
}

# Poll CMD until it succeeds or the deadline passes; meanwhile make sure the
# daemons we are waiting on have not died (no point waiting 60 s for a corpse).
wait_for() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@"; do
    check_daemons_alive
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.3
  done
}

check_daemons_alive() {
  local name pid
  [[ -f $DIR/pids ]] || return 0
  while read -r name pid; do
    if ! is_ours_alive "$name" "$pid"; then
      # Put the daemon's own last complaint on the reason line itself.
      local why
      why=$(grep -iE 'fatal|error' "$DIR/log/$name.log" 2>/dev/null | tail -n 1 || true)
      fail "$name exited during startup${why:+: $why} (log: $DIR/log/$name.log)" "$DIR/log/$name.log"
    fi
  done <"$DIR/pids"
}

munge_works() {
  if command -v munge >/dev/null && command -v unmunge >/dev/null; then
    munge --socket="$DIR/munge/munge.socket" -n 2>/dev/null |
      unmunge --socket="$DIR/munge/munge.socket" >/dev/null 2>&1
  else
    [[ -S $DIR/munge/munge.socket ]]
  fi
}

ctld_up() {
  SLURM_CONF=$DIR/slurm.conf timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'
}

node_idle() {
  local state
  state=$(SLURM_CONF=$DIR/slurm.conf timeout 10 sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null) || return 1
  [[ $state == idle ]]
}

start() {
  # slurm.conf has no quoting: a path with blanks would silently split.
  [[ $DIR != *[[:space:]]* ]] || fail "directory path contains whitespace: '$DIR'"
  [[ $(id -u) -eq 0 ]] || fail "must run as root (slurmd launches jobs via setuid; got uid $(id -u))"

  local bin
  for bin in munged slurmctld slurmd sinfo scontrol sbatch scancel; do
    command -v "$bin" >/dev/null || fail "'$bin' not found in PATH (apt-get install slurmd slurmctld slurm-client munge)"
  done
  if [[ -f $DIR/pids ]]; then
    log "stale $DIR/pids found; stopping what it lists first"
    stop_daemons
  fi
  # Wipe state from an earlier run in the same DIR: a saved clustername or
  # node state from another config makes slurmctld refuse to start.
  rm -rf "$DIR/state" "$DIR/spool" "$DIR/munge" "$DIR/log"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge" "$DIR/log"
  # munged refuses a socket dir writable by group/other and warns unless it is
  # world-executable; slurmctld wants its state dir private to SlurmUser.
  chmod 0755 "$DIR/munge" "$DIR/spool" "$DIR/log"
  chmod 0700 "$DIR/state"

  # set -e would otherwise exit with a bare status and leave daemons behind;
  # remember what failed so the skip reason says it.
  # (globals, not locals: the EXIT trap runs after start() has returned)
  failed_cmd='?' failed_line='?'
  set -o errtrace
  trap 'note_error $LINENO' ERR
  trap 'fail "unexpected error: \`$failed_cmd\` failed (slurm_cluster.sh line $failed_line)"' EXIT

  # Hostname may be anything in a container, and need not resolve: Slurm only
  # needs the name to match between slurm.conf and slurmd -N, the address is
  # given explicitly as 127.0.0.1.
  NODE=$(hostname -s 2>/dev/null || uname -n)
  NODE=${NODE%%.*}
  [[ -n $NODE ]] || fail "cannot determine the host name"
  # slurmd logs an error if its per-node spool dir (SlurmdSpoolDir=.../%n) is
  # missing when it first sets up its domain socket.
  mkdir -p "$DIR/spool/$NODE"

  # slurmd -C reports what slurmd will detect; declaring more CPUs or memory
  # than it sees makes the controller drain the node as "Low RealMemory"/
  # "Low CPUs", so use its numbers rather than guessing from nproc/free.
  local hw cpus boards sockets cores threads mem
  hw=$(slurmd -C 2>/dev/null | head -n 1 || true)
  cpus=$(sed -n 's/.*[[:space:]]CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  boards=$(sed -n 's/.*Boards=\([0-9]*\).*/\1/p' <<<"$hw")
  sockets=$(sed -n 's/.*SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
  cores=$(sed -n 's/.*CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
  threads=$(sed -n 's/.*ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  local topology
  if [[ -n $cpus && -n $boards && -n $sockets && -n $cores && -n $threads ]]; then
    topology="CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
  else
    cpus=$(nproc)
    topology="CPUs=$cpus"
  fi
  if [[ -z $mem ]]; then
    mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  fi
  # Leave a little slack: slurmd re-measures at registration and a value a few
  # MB above what it sees then would drain the node.
  mem=$((mem > 256 ? mem - 64 : mem))

  local ctld_port slurmd_port
  ctld_port=$(pick_port) || fail "no free TCP port found for slurmctld"
  slurmd_port=$(pick_port "$ctld_port") || fail "no free TCP port found for slurmd"

  # --- munge -----------------------------------------------------------------
  local key=$DIR/munge/munge.key
  if command -v mungekey >/dev/null; then
    mungekey --create --keyfile="$key" --force 2>"$DIR/log/mungekey.log" ||
      fail "mungekey failed" "$DIR/log/mungekey.log"
  else
    dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
  fi
  # munged refuses keys that group/other can read (fatal without --force);
  # mungekey already makes 0600, dd does not.
  chmod 0400 "$key"

  # --force: without it munged treats every path-permission doubt as fatal,
  # e.g. "Socket is inaccessible: execute permissions for all required" because
  # the caller's mktemp dir is 0700; here only root talks to it, so a warning is
  # right. --origin: skip resolving our own hostname, which may not resolve in a
  # minimal container (munged then only warns, but says nothing useful).
  munged --foreground --force \
    --socket="$DIR/munge/munge.socket" \
    --key-file="$key" \
    --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/log/munged.log" \
    --seed-file="$DIR/munge/munged.seed" \
    --origin=127.0.0.1 \
    </dev/null >>"$DIR/log/munged.log" 2>&1 &
  record_pid munged $!
  wait_for munge_works || fail "munged did not answer within ${READY_TIMEOUT}s" "$DIR/log/munged.log"

  # --- slurm.conf ------------------------------------------------------------
  # Pin SPANK config to an empty file so the host's plugins (Debian ships
  # /etc/slurm/plugstack.conf.d) can never be loaded into our daemons.
  : >"$DIR/plugstack.conf"
  cat >"$DIR/slurm.conf" <<EOF
# Generated by slurm_cluster.sh for a throwaway test cluster; see that script.
ClusterName=throwaway
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
PlugStackConfig=$DIR/plugstack.conf
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
# Cancelled test jobs should die fast; other timers keep their defaults so a
# loaded build machine does not get the node marked DOWN.
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE $topology RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

  # --- slurmctld ---------------------------------------------------------------
  # -D keeps it in the foreground so $! is the daemon itself; -i ignores any
  # state that might survive from a previous run.
  slurmctld -D -i -f "$DIR/slurm.conf" </dev/null >>"$DIR/log/slurmctld.log" 2>&1 &
  record_pid slurmctld $!
  wait_for ctld_up || fail "slurmctld did not answer 'scontrol ping' within ${READY_TIMEOUT}s" "$DIR/log/slurmctld.log"

  # --- slurmd ------------------------------------------------------------------
  # -N: slurmd otherwise derives its node name from gethostname() and
  # matching it against NodeHostname, which is brittle in containers.
  slurmd -D -N "$NODE" -f "$DIR/slurm.conf" </dev/null >>"$DIR/log/slurmd.log" 2>&1 &
  record_pid slurmd $!
  if ! wait_for node_idle; then
    local state reason
    state=$(SLURM_CONF=$DIR/slurm.conf sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null || true)
    reason=$(SLURM_CONF=$DIR/slurm.conf sinfo -h -N -n "$NODE" -o '%E' 2>/dev/null || true)
    fail "node $NODE not idle after ${READY_TIMEOUT}s (state '${state:-?}', reason '${reason:-none}')" "$DIR/log/slurmd.log"
  fi

  {
    echo "# Source this to talk to the throwaway cluster in $DIR."
    printf 'export SLURM_CONF=%q\n' "$DIR/slurm.conf"
    printf 'export SLURM_CLUSTER_TEST_DIR=%q\n' "$DIR"
    printf 'export SLURM_CLUSTER_TEST_NODE=%q\n' "$NODE"
    printf 'export SLURM_CLUSTER_TEST_CPUS=%q\n' "$cpus"
  } >"$DIR/env"
  trap - EXIT ERR
  log "cluster up in $DIR (node $NODE, $cpus CPUs, ports $ctld_port/$slurmd_port)"
}

# --- main ----------------------------------------------------------------------
(($# == 2)) || usage
NODE=
case $1 in
  start)
    mkdir -p "$2"
    DIR=$(cd "$2" && pwd -P)
    start
    ;;
  stop)
    [[ -d $2 ]] || exit 0
    DIR=$(cd "$2" && pwd -P)
    stop_daemons
    ;;
  *) usage ;;
esac
