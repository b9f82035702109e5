#!/usr/bin/env bash
# `make run`: starts hvagentd in the foreground on its default local endpoint.
# When no system Open vSwitch and libvirtd are running, it first brings up the
# testbed (scripts/testbed) and points the agent at it. An agent that dies is
# restarted (its VMs keep running); Ctrl-C stops the agent and takes down
# everything this script started.
set -euo pipefail

build_dir=$(realpath "${1:-build/debug}")
src_dir=$(cd "$(dirname "$0")/.." && pwd)
agent=$build_dir/src/daemon/hvagentd
socket=/run/hvagent/hvagent.sock
[[ -x $agent ]] || { echo "run-local: $agent is not built (make build)" >&2; exit 1; }

system_ovs_up() { [[ -S /run/openvswitch/db.sock ]] && timeout 3 ovs-vsctl --timeout=2 show >/dev/null 2>&1; }
system_libvirt_up() { [[ -S /run/libvirt/libvirt-sock ]] && timeout 5 virsh -c qemu:///system version >/dev/null 2>&1; }

args=(--unix-socket "$socket")
state=""
# HVAGENT_USE_TESTBED=1 forces the testbed even where system services run.
if [[ ${HVAGENT_USE_TESTBED:-0} != 1 ]] && system_ovs_up && system_libvirt_up; then
  echo "run-local: using the system's Open vSwitch and libvirtd"
  run=("$agent" "${args[@]}")
else
  state=$src_dir/var/run-testbed
  "$src_dir/scripts/testbed" down "$state" >/dev/null 2>&1 || true
  "$src_dir/scripts/testbed" up "$state"
  # shellcheck disable=SC1091
  . "$state/env"
  # No openvswitch kernel module is needed: the testbed's bridges use the
  # userspace datapath.
  args+=(--libvirt-uri "$HVTB_LIBVIRT_URI" --ovsdb "unix:$HVTB_OVSDB_SOCK"
         --state-dir "$src_dir/var/agent-state" --datapath-type netdev)
  # The agent lives in the testbed's network namespace: the taps and bridges
  # it makes belong there.
  run=(ip netns exec "$HVTB_NETNS" "$agent" "${args[@]}")
fi

# The agent's metrics listener (127.0.0.1:9464) lives in the testbed's
# namespace; a forwarder in the host's namespace makes the address the README
# gives answer from the user's shell too.
metrics_port=9464
forward_pid=""
start_metrics_forwarder() {
  [[ -n $state ]] || return 0 # system services: the agent is in the host's namespace
  if ! command -v socat >/dev/null; then
    echo "run-local: socat is missing (scripts/install-deps.sh); metrics only inside $HVTB_NETNS" >&2
    return 0
  fi
  socat "TCP-LISTEN:$metrics_port,bind=127.0.0.1,reuseaddr,fork" \
    "EXEC:ip netns exec $HVTB_NETNS socat STDIO TCP\:127.0.0.1\:$metrics_port" 2>/dev/null &
  forward_pid=$!
  sleep 0.2
  kill -0 "$forward_pid" 2>/dev/null ||
    { echo "run-local: 127.0.0.1:$metrics_port is in use on the host; metrics only inside $HVTB_NETNS" >&2; forward_pid=""; }
}

agent_pid=""
stopping=0
cleanup() {
  trap - EXIT INT TERM
  stopping=1
  if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  if [[ -n $forward_pid ]]; then kill -TERM "$forward_pid" 2>/dev/null || true; fi
  if [[ -n $state ]]; then
    "$src_dir/scripts/testbed" down "$state" || true
  fi
}
trap cleanup EXIT
# Only Ctrl-C (SIGINT, or SIGTERM to this script) tears the testbed down.
trap 'stopping=1; exit 130' INT TERM

start_metrics_forwarder
# As systemd's Restart=on-failure: an agent that crashes or is killed is
# started again, and its VMs keep running meanwhile (they are libvirtd's, not
# the agent's). Five quick failures in a row (each within 10 s) give up, as
# StartLimitBurst would. A clean exit is not restarted; the testbed stays up.
quick_failures=0
first=1
while true; do
  "${run[@]}" &
  agent_pid=$!
  started=$SECONDS
  if ((first)); then
    for _ in $(seq 150); do [[ -S $socket ]] && break; kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
    cat <<MSG

  hvagentd is serving gRPC on unix:$socket
  Try:  $build_dir/src/cli/hvctl host.get
        $build_dir/src/cli/hvctl health
        curl http://127.0.0.1:$metrics_port/metrics
  Press Ctrl-C to stop the agent${state:+ and the testbed}.

MSG
    first=0
  fi
  rc=0
  wait "$agent_pid" || rc=$?
  ((stopping)) && break
  if ((rc == 0)); then
    echo "run-local: hvagentd exited cleanly; not restarting it (Restart=on-failure). Ctrl-C stops${state:+ the testbed}."
    agent_pid=""
    while true; do sleep 3600 & wait $! || true; done # wait, unlike sleep, lets Ctrl-C's trap run
  fi
  if ((SECONDS - started < 10)); then quick_failures=$((quick_failures + 1)); else quick_failures=1; fi
  if ((quick_failures >= 5)); then
    echo "run-local: hvagentd failed 5 times in a row within 10 s of its start (exit $rc); giving up" >&2
    exit 1
  fi
  echo "run-local: hvagentd exited with status $rc; restarting it as systemd's Restart=on-failure would (VMs keep running)"
  sleep 1
done
