#!/usr/bin/env bash
# Installs every build, test and run-time dependency of hvagent from Debian's
# package registry. Idempotent: re-running it installs only what is missing.
# With --fuzz, also clang and its libFuzzer/sanitizer runtimes (make fuzz only:
# make test and CI never need clang).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy
  # libraries the agent links
  libvirt-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev libspdlog-dev libfmt-dev libsystemd-dev libpugixml-dev nlohmann-json3-dev
  libtomlplusplus-dev libcli11-dev libsqlite3-dev prometheus-cpp-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the host services the agent drives, and what the testbed uses around them
  libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  openvswitch-switch openvswitch-common iproute2 iputils-ping procps psmisc openssl
  # TCP between veths on OVS's userspace datapath: tx checksum offload off (make bench)
  ethtool
  # make bench: the scaling curve's plot
  gnuplot-nox
  # the tiny test guest: kernel and initramfs made from Debian packages
  busybox-static cpio zstd kmod
  # a second-language gRPC client for the interoperability test
  python3-grpcio python3-protobuf
  python3-grpc-tools
  # make run: the host-side forwarder of the metrics port; curl to try it (and its test)
  socat curl
  # hvctl's interactive shell (line editing, history, completion)
  libedit-dev
  # install_test: systemd-analyze verify on the unit, man for its Documentation= pages
  systemd man-db
)
if [[ ${1:-} == --fuzz ]]; then
  packages+=(clang libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
