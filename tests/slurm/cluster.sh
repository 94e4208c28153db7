#!/usr/bin/env bash
# A one-node Slurm cluster for tests/slurm.rs, everything under DIR: `cluster.sh start DIR`
# writes DIR/slurm.conf, starts munged, slurmctld and slurmd (their PIDs in DIR/*.pid), waits
# until the node is idle and prints the SLURM_CONF to use; `cluster.sh stop DIR` ends the
# three by their PIDs. Needs root (slurmd starts jobs as their user) and Debian's slurm-wlm
# and munge.
set -euo pipefail
cmd=$1
D=$(realpath -m "$2")
stop() {
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
}
if [ "$cmd" = stop ]; then stop; exit 0; fi
mkdir -p "$D/spool" "$D/state" "$D/munge"
chmod 700 "$D/munge"
cp /etc/munge/munge.key "$D/munge/munge.key"
chmod 600 "$D/munge/munge.key"
munged --force --socket="$D/munge/munge.sock" --key-file="$D/munge/munge.key" \
  --pid-file="$D/munged.pid" --log-file="$D/munged.log" --seed-file="$D/munge/seed"
port=$((20000 + RANDOM % 20000))
cat > "$D/slurm.conf" <<CONF
ClusterName=ganbooktest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.sock
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmdSpoolDir=$D/spool
StateSaveLocation=$D/state
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SchedulerType=sched/builtin
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$D/slurm.conf"
slurmctld -i
slurmd -N localhost
for _ in $(seq 1 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qx idle; then echo "$SLURM_CONF"; exit 0; fi
  sleep 0.5
done
echo "the Slurm node did not come up in 30 s; logs in $D" >&2
sinfo >&2 || true
tail -5 "$D/slurmctld.log" "$D/slurmd.log" "$D/munged.log" >&2 || true
stop
exit 1
