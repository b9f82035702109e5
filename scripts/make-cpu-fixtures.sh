#!/usr/bin/env bash
# Writes tests/unit/testdata/cpu/hosts/<Model>.xml: the host CPU description
# (HostCpu.libvirt_cpu_xml's form: <cpu mode='custom' match='exact'> with a
# model and vendor) of a host of each generation the baseline tests use.
#
# Derived from libvirt's CPU map on this machine (/usr/share/libvirt/cpu_map/
# x86_<Model>.xml, libvirt 9.0 / QEMU 7.2 on Debian 12): the model's name and
# its <vendor name=…>. A real host's host-model names the newest model its
# CPUID matches, and the model's features are implied by its name, so a
# description with only the model is what libvirt expands for such a host.
# The explicit extras a real host-model adds on top (vmx, ss, hypervisor…)
# are left out on purpose: they differ between machines of one generation.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/unit/testdata/cpu/hosts
map=${CPU_MAP:-/usr/share/libvirt/cpu_map}
mkdir -p "$out"
for model in Westmere SandyBridge Haswell-noTSX Broadwell-noTSX Skylake-Server \
             Cascadelake-Server EPYC; do
  file=$map/x86_$model.xml
  [[ -f $file ]] || { echo "no $file" >&2; exit 1; }
  vendor=$(sed -n "s/.*<vendor name='\([^']*\)'.*/\1/p" "$file" | head -1)
  [[ -n $vendor ]] || { echo "no vendor in $file" >&2; exit 1; }
  printf "<cpu mode='custom' match='exact'><model fallback='forbid'>%s</model><vendor>%s</vendor></cpu>\n" \
    "$model" "$vendor" > "$out/$model.xml"
done
echo "wrote $(ls "$out" | wc -l) fixtures to $out"
