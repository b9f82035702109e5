#!/usr/bin/env bash
# `make run`: starts hvagentd in the foreground on its default local endpoint.
# When no system Open vSwitch and libvirtd are running, it first brings up the
# testbed (scripts/testbed) and points the agent at it. Ctrl-C stops the agent
# and takes down everything this script started.
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

agent_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  if [[ -n $state ]]; then
    "$src_dir/scripts/testbed" down "$state" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${run[@]}" &
agent_pid=$!
for _ in $(seq 100); do [[ -S $socket ]] && break; kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
cat <<MSG

  hvagentd is serving gRPC on unix:$socket
  Try:  $build_dir/src/cli/hvctl host.get
        $build_dir/src/cli/hvctl health
  Press Ctrl-C to stop the agent${state:+ and the testbed}.

MSG
wait "$agent_pid"
