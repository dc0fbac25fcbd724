#!/usr/bin/env bash
# A single-node Slurm on this machine, for the cluster tests (and for trying the cluster path by hand).
#
#   scripts/slurm-local.sh up       start munged, slurmctld, slurmd (idempotent: a running one is kept)
#   scripts/slurm-local.sh down     stop what `up` started
#   scripts/slurm-local.sh status   say what runs; exit 0 only when the node takes jobs
#   scripts/slurm-local.sh env      print `export SLURM_CONF=…` for a shell that should talk to it
#
# Needs Debian's slurm-wlm and munge (`apt-get install -y slurm-wlm munge`) and root (the daemons run as
# root here; munged as the munge user). No systemd: the daemons run in the background and keep their pid
# files, logs and state under $WB_SLURM_STATE (default /tmp/wb-slurm). The node is 127.0.0.1 with this
# machine's real CPUs and memory; plugins need no cgroups and no accounting database
# (proctrack/linuxproc, task/none, jobacct_gather/none, accounting_storage/none), so `sacct` answers
# nothing: the workbench follows jobs with `squeue --json` plus each task's own exit file.
# Clients find this cluster by SLURM_CONF=$WB_SLURM_STATE/slurm.conf (`scripts/slurm-local.sh env`).
set -euo pipefail

STATE="${WB_SLURM_STATE:-/tmp/wb-slurm}"
CONF="$STATE/slurm.conf"
CTLD_PORT="${WB_SLURM_CTLD_PORT:-6817}"
SLURMD_PORT="${WB_SLURM_SLURMD_PORT:-6818}"
NODE=wbnode
MUNGE_SOCKET=/run/munge/munge.socket.2

die() { echo "slurm-local: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found; install Slurm and munge: apt-get install -y slurm-wlm munge"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
  mkdir -p "$STATE"/{spool,ctld,log}
  # slurmd -C prints this machine's CPUs, sockets, cores and RealMemory (MiB) in slurm.conf syntax
  local hw; hw="$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //')"
  local tmp="$CONF.tmp.$$"
  cat >"$tmp" <<EOF
# written by scripts/slurm-local.sh; a single-node test cluster
ClusterName=wblocal
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
ReturnToService=2
MpiDefault=none
JobRequeue=1
MaxArraySize=10001
KillWait=30
# a requeued job may start again at once (the default holds it back a little)
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$(hostname) $hw State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$tmp" "$CONF"
}

start_munge() {
  if munge -n -S "$MUNGE_SOCKET" </dev/null >/dev/null 2>&1; then return; fi
  [ -r /etc/munge/munge.key ] || die "/etc/munge/munge.key is missing (the munge package makes one; or run: mungekey --create)"
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 1 50); do munge -n -S "$MUNGE_SOCKET" </dev/null >/dev/null 2>&1 && return; sleep 0.1; done
  die "munged started but does not answer on $MUNGE_SOCKET"
}

wait_node_idle() {
  for _ in $(seq 1 120); do
    local st; st="$(SLURM_CONF="$CONF" sinfo -h -N -n "$NODE" -o '%t' 2>/dev/null || true)"
    case "$st" in idle*|mix*|alloc*) return 0 ;; esac
    sleep 0.5
  done
  die "node $NODE did not become idle (sinfo says: ${st:-nothing}); logs: $STATE/log/"
}

up() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it starts munged, slurmctld and slurmd)"
  need munged; need slurmctld; need slurmd; need sinfo
  start_munge
  if ! alive "$STATE/slurmctld.pid"; then
    write_conf
    # -i: ignore state that does not fit this config (a node renamed between runs)
    /usr/sbin/slurmctld -f "$CONF" -i || die "slurmctld did not start; see $STATE/log/slurmctld.log"
  fi
  for _ in $(seq 1 100); do SLURM_CONF="$CONF" scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
  SLURM_CONF="$CONF" scontrol ping 2>/dev/null | grep -q 'is UP' || die "slurmctld is not answering on port $CTLD_PORT; see $STATE/log/slurmctld.log"
  if ! alive "$STATE/slurmd.pid"; then
    /usr/sbin/slurmd -f "$CONF" -N "$NODE" || die "slurmd did not start; see $STATE/log/slurmd.log"
  fi
  # a node that went down before (a killed slurmd) comes back only when told
  SLURM_CONF="$CONF" scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
  wait_node_idle
  echo "slurm-local: up (SLURM_CONF=$CONF, node $NODE, $(SLURM_CONF="$CONF" sinfo -h -N -o '%c CPUs, %m MiB'))"
}

down() {
  for d in slurmd slurmctld; do
    if alive "$STATE/$d.pid"; then
      local pid; pid="$(cat "$STATE/$d.pid")"
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && die "$d (pid $pid) did not stop"
      echo "slurm-local: $d stopped"
    fi
  done
  # munged is shared with anything else on this machine that uses munge: left running
}

status() {
  local ok=0
  munge -n -S "$MUNGE_SOCKET" </dev/null >/dev/null 2>&1 && echo "munged: running" || { echo "munged: not running"; ok=1; }
  for d in slurmctld slurmd; do
    alive "$STATE/$d.pid" && echo "$d: running (pid $(cat "$STATE/$d.pid"))" || { echo "$d: not running"; ok=1; }
  done
  if [ "$ok" -eq 0 ]; then
    SLURM_CONF="$CONF" sinfo -N -o '%N %t %c CPUs %m MiB' || ok=1
  fi
  echo "SLURM_CONF=$CONF"
  return "$ok"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
