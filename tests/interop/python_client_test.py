#!/usr/bin/python3
"""A second-language client: Python stubs made from proto/ alone drive hvagentd.

Run by ctest (tests/integration/CMakeLists.txt) with Debian's /usr/bin/python3,
which has python3-grpcio, python3-protobuf and python3-grpc-tools
(scripts/install-deps.sh); the `python3` on PATH may be another interpreter
without them. Hermetic: its own ovsdb-server on a unix socket and hvagentd on
libvirt's test:///default driver, all under one temp directory.

Stubs: `python3 -m grpc_tools.protoc -I proto --python_out --grpc_python_out`.
Debian 12's python3-grpc-tools (1.14) bundles protoc 3.5.1; what it generates
works with Debian's python3-protobuf 3.21 and python3-grpcio 1.51. Should the
protos one day use a feature that protoc cannot parse (proto3 `optional` needs
3.12), the script falls back to Debian's own matching pair: /usr/bin/protoc
(protobuf-compiler 3.21) with /usr/bin/grpc_python_plugin
(protobuf-compiler-grpc 1.51). It prints which one it used.

Prints one line per check and "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

TIMEOUT = 5  # seconds, for every call


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any failure is reported and counted
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc()
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def run(argv, **kwargs):
    """Runs a program (never a shell); raises with its output if it fails."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def generate_stubs(proto_dir, out_dir):
    protos = sorted(
        os.path.relpath(p, proto_dir)
        for p in glob.glob(os.path.join(proto_dir, "hvagent", "**", "*.proto"), recursive=True)
    )
    expect(protos, f"no .proto files under {proto_dir}/hvagent")
    # Only hvagent/: stubs for proto/grpc/health would be a package "grpc"
    # shadowed by grpcio's own.
    common = ["-I", proto_dir, "--python_out", out_dir, "--grpc_python_out", out_dir]
    tools = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", *common, *protos],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if tools.returncode == 0:
        return "grpc_tools.protoc (python3-grpc-tools)"
    print(f"grpc_tools.protoc failed ({tools.stderr.strip()}); trying /usr/bin/protoc", flush=True)
    shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    run(
        [
            "/usr/bin/protoc",
            "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
            *common,
            *protos,
        ]
    )
    return "/usr/bin/protoc + /usr/bin/grpc_python_plugin"


class Ovsdb:
    """A bare ovsdb-server with a fresh Open_vSwitch database, as
    tests/support/ovsdb_server.cc starts it."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory)
        self.endpoint = f"unix:{directory}/db.sock"
        self.pidfile = f"{directory}/ovsdb-server.pid"

    def start(self):
        run(
            [
                "ovsdb-tool",
                "create",
                f"{self.dir}/conf.db",
                "/usr/share/openvswitch/vswitch.ovsschema",
            ]
        )
        run(
            [
                "ovsdb-server",
                f"{self.dir}/conf.db",
                f"--remote=punix:{self.dir}/db.sock",
                f"--unixctl={self.dir}/ovsdb-server.ctl",
                f"--pidfile={self.pidfile}",
                f"--log-file={self.dir}/ovsdb-server.log",
                "-vconsole:off",
                "--detach",
                "--no-chdir",
            ]
        )
        self.vsctl("init")

    def vsctl(self, *args):
        return run(["ovs-vsctl", f"--db={self.endpoint}", "--no-wait", "--timeout=10", *args])

    def stop(self):
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.02)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Agent:
    def __init__(self, binary, directory, ovsdb_endpoint):
        self.dir = directory
        os.makedirs(directory)
        self.socket = f"{directory}/agent.sock"
        self.log_path = f"{directory}/agent.log"
        config = f"{directory}/empty.toml"
        open(config, "w").close()
        self.argv = [
            binary,
            "--config",
            config,
            "--unix-socket",
            self.socket,
            "--libvirt-uri",
            "test:///default",
            "--ovsdb",
            ovsdb_endpoint,
            "--state-dir",
            f"{directory}/state",
            "--log-level",
            "debug",
        ]
        self.process = None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hvagentd exited {self.process.returncode}:\n{self.log()}")
            if "serving on" in self.log():
                return
            time.sleep(0.025)
        raise RuntimeError(f"hvagentd did not start serving in 15 s:\n{self.log()}")

    def stop(self):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()

    checks = Checks()
    tmp = tempfile.mkdtemp(prefix="hvagent-py.", dir="/tmp")
    ovsdb = None
    agent = None
    channel = None
    try:
        gen = os.path.join(tmp, "gen")
        os.makedirs(gen)
        print(f"stubs: {generate_stubs(os.path.join(args.source_dir, 'proto'), gen)}", flush=True)
        sys.path.insert(0, gen)
        import grpc
        from hvagent.v1 import host_pb2, host_pb2_grpc, network_pb2, network_pb2_grpc
        from hvagent.v1 import vm_pb2, vm_pb2_grpc

        ovsdb = Ovsdb(os.path.join(tmp, "ovsdb"))
        ovsdb.start()
        ovsdb.vsctl("add-br", "br0")
        agent = Agent(
            os.path.join(args.build_dir, "src", "daemon", "hvagentd"),
            os.path.join(tmp, "agent"),
            ovsdb.endpoint,
        )
        agent.start()

        channel = grpc.insecure_channel(f"unix:{agent.socket}")
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
        host = host_pb2_grpc.HostServiceStub(channel)
        networks = network_pb2_grpc.NetworkServiceStub(channel)
        vms = vm_pb2_grpc.VmServiceStub(channel)

        def expect_error(call, request, code, detail=None):
            try:
                call(request, timeout=TIMEOUT)
            except grpc.RpcError as e:
                expect(e.code() == code, f"expected {code}, got {e.code()}: {e.details()}")
                if detail is not None:
                    expect(detail in (e.details() or ""), f"{detail!r} not in {e.details()!r}")
                return
            raise AssertionError(f"expected {code}, but the call succeeded")

        def get_host():
            h = host.GetHost(host_pb2.GetHostRequest(), timeout=TIMEOUT)
            expect(h.agent_version, "agent_version is empty")
            expect(h.hostname, "hostname is empty")
            expect(
                h.libvirt.state == host_pb2.BACKEND_STATE_CONNECTED,
                f"libvirt backend: {h.libvirt}",
            )

        created = {}

        def create_network():
            n = networks.CreateNetwork(
                network_pb2.CreateNetworkRequest(name="vlan.10", vlan_id=10, request_id="py-1"),
                timeout=TIMEOUT,
            )
            expect(n.name == "vlan.10", f"name {n.name!r}")
            expect(n.vlan_id == 10, f"vlan_id {n.vlan_id}")
            expect(n.bridge == "br0", f"bridge {n.bridge!r}")
            expect(n.uuid, "uuid is empty")
            created["uuid"] = n.uuid

        def get_network():
            n = networks.GetNetwork(network_pb2.GetNetworkRequest(name="vlan.10"), timeout=TIMEOUT)
            expect(n.uuid == created.get("uuid"), f"uuid {n.uuid!r} != {created.get('uuid')!r}")
            expect(n.vlan_id == 10 and n.bridge == "br0", f"network {n}")

        def replay_create_network():
            n = networks.CreateNetwork(
                network_pb2.CreateNetworkRequest(name="vlan.10", vlan_id=10, request_id="py-1"),
                timeout=TIMEOUT,
            )
            expect(n.uuid == created.get("uuid"), f"replay uuid {n.uuid!r}")

        def invalid_vlan():
            expect_error(
                networks.CreateNetwork,
                network_pb2.CreateNetworkRequest(name="vlan.5000", vlan_id=5000, request_id="py-2"),
                grpc.StatusCode.INVALID_ARGUMENT,
                "vlan_id",
            )

        def unknown_network():
            expect_error(
                networks.GetNetwork,
                network_pb2.GetNetworkRequest(name="nope"),
                grpc.StatusCode.NOT_FOUND,
            )

        def list_vms():
            # libvirt's test driver has one domain of its own: listed as external.
            listed = vms.ListVms(vm_pb2.ListVmsRequest(include_external=True), timeout=10)
            assert any(vm.external for vm in listed.vms), listed

        def migrate_without_destination():
            expect_error(vms.MigrateVm, vm_pb2.MigrateVmRequest(name="test"),
                         grpc.StatusCode.INVALID_ARGUMENT, detail="destination:")

        checks.run("HostService.GetHost answers with the agent version", get_host)
        checks.run("NetworkService.CreateNetwork vlan.10 (request_id py-1)", create_network)
        checks.run("NetworkService.GetNetwork vlan.10", get_network)
        checks.run("CreateNetwork replayed with request_id py-1 answers the same uuid",
                   replay_create_network)
        checks.run("CreateNetwork vlan_id 5000 is INVALID_ARGUMENT naming vlan_id", invalid_vlan)
        checks.run("GetNetwork 'nope' is NOT_FOUND", unknown_network)
        checks.run("VmService.ListVms lists the driver's own domain as external", list_vms)
        checks.run("VmService.MigrateVm without a destination is INVALID_ARGUMENT",
                   migrate_without_destination)

        channel.close()
        channel = None
        checks.run("hvagentd exits 0 on SIGTERM",
                   lambda: expect(agent.stop() == 0, f"exit code {agent.process.returncode}"))
    except Exception:  # noqa: BLE001 - set-up failed: counted, then cleaned up
        checks.failed += 1
        print("FAIL set-up:", flush=True)
        traceback.print_exc()
    finally:
        if channel is not None:
            channel.close()
        if agent is not None:
            agent.stop()
            if checks.failed:
                print(f"--- hvagentd log ---\n{agent.log()}", flush=True)
        if ovsdb is not None:
            ovsdb.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
