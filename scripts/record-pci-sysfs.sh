#!/usr/bin/env bash
# Records the sysfs tree PCI discovery reads (pci/sysfs_inventory) from a real
# kernel: boots Debian's generic kernel under QEMU q35 with an emulated Intel
# IOMMU and emulated storage controllers, and copies out of the guest
# /sys/bus/pci/devices, /sys/kernel/iommu_groups, the block devices and the
# attributes discovery reads, plus /proc/self/mounts, mountinfo and /proc/swaps,
# and each NUMA node's CPU list (what the CVM is pinned to).
#
#   record-pci-sysfs.sh OUT_DIR      writes the tree under OUT_DIR (replacing it)
#   HVREC_CONSOLE=FILE               also keeps the guest's console (without the tree)
#
# The committed fixture tests/unit/testdata/pci/q35-recorded was made with it, so
# tests never boot a VM. The generic kernel is used (not the test guest's cloud
# kernel) because the cloud flavour builds neither megaraid_sas nor the Fusion
# MPT (mptsas) driver.
#
# The guest's machine:
#   pcie.0 ─ rp1 ─ virtio-scsi (the "boot" controller: /boot on sda1, swap on sda2)
#          ─ rp2 ─ ich9-ahci (one disk)
#          ─ rp3 ─ nvme (one namespace)
#          ─ rp4 ─ pcie-pci-bridge ─ megasas-gen2 (one disk)
#                                  ─ mptsas1068 (one disk)
#            (a conventional PCI bridge aliases its devices: one IOMMU group
#             holding the bridge and both HBAs)
#   pxb-pcie (NUMA node 1) ─ rp5 ─ nvme (a controller on the second node)
set -euo pipefail

out=$(realpath -m "$1")
src_dir=$(cd "$(dirname "$0")" && pwd)
wanted=(virtio_pci virtio_scsi sd_mod ahci nvme megaraid_sas mptsas vfio_pci ext4 crc32c_generic)

busybox=/bin/busybox
[[ $(ldd "$busybox" 2>&1) == *"not a dynamic executable"* ]] ||
  { echo "record-pci-sysfs: $busybox is not static (install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prog=record-pci-sysfs
# shellcheck source=guest-kernel.sh
. "$src_dir/guest-kernel.sh"
fetch_kernel linux-image-amd64

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,boot,lib/modules}
cp "$busybox" "$root/bin/busybox"
stage_modules "$root" "${wanted[@]}"
install -m 0755 "$src_dir/test-guest-init" "$root/init"

# Runs in the guest: partitions the boot disk, mounts /boot and enables swap on
# it, then mirrors what discovery reads into /tmp/rec and prints it as base64.
cat >"$root/record.sh" <<'EOF'
set -u
# Let the SCSI/ATA/SAS scans settle: four SCSI disks (virtio, AHCI, MegaRAID, MPT SAS).
i=0
while [ "$(ls /sys/class/block | grep -c '^sd[a-z]$')" -lt 4 ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
boot=""
for b in /sys/class/block/sd*; do
  case "$(readlink -f "$b")" in *virtio*) boot=$(basename "$b"); break ;; esac
done
[ -n "$boot" ] || { echo "hvrec: no virtio-scsi disk"; exit 1; }
printf 'o\nn\np\n1\n\n+24M\nn\np\n2\n\n\nt\n2\n82\nw\n' | fdisk "/dev/$boot" >/dev/null 2>&1
sleep 1
mke2fs -q "/dev/${boot}1" && mount -t ext4 "/dev/${boot}1" /boot || { echo "hvrec: mount /boot failed"; ls -l /dev/sd*; dmesg | tail -20; }
mkswap "/dev/${boot}2" >/dev/null && swapon "/dev/${boot}2" || echo "hvrec: swapon failed"

R=/tmp/rec
copy_attr() { [ -f "$1" ] || return 0; mkdir -p "$R${1%/*}"; cat "$1" >"$R$1" 2>/dev/null || rm -f "$R$1"; }
copy_link() {
  [ -L "$1" ] || return 0
  mkdir -p "$R${1%/*}"
  ln -sfn "$(readlink "$1")" "$R$1"
  # The target exists as a directory in the copy, so links resolve there too.
  t=$(readlink -f "$1") && [ -d "$t" ] && mkdir -p "$R$t"
  return 0
}
for d in /sys/bus/pci/devices/*; do
  copy_link "$d"
  real=$(readlink -f "$d")
  for a in vendor device class subsystem_vendor subsystem_device revision numa_node; do copy_attr "$real/$a"; done
  copy_link "$real/driver"
  copy_link "$real/iommu_group"
done
for g in /sys/kernel/iommu_groups/*; do
  mkdir -p "$R$g/devices"
  copy_attr "$g/type"
  for m in "$g"/devices/*; do copy_link "$m"; done
done
for drv in /sys/bus/pci/drivers/*; do mkdir -p "$R$drv"; done
for mod in /sys/module/vfio*; do mkdir -p "$R$mod"; done
for b in /sys/class/block/* /sys/block/* /sys/dev/block/*; do copy_link "$b"; done
for b in /sys/class/block/*; do
  real=$(readlink -f "$b")
  mkdir -p "$R$real/holders" "$R$real/slaves"
  for a in dev partition size removable ro; do copy_attr "$real/$a"; done
  copy_link "$real/device"
  for h in "$real"/holders/* "$real"/slaves/*; do copy_link "$h"; done
done
for n in /sys/class/nvme/* /sys/class/nvme-subsystem/*; do copy_link "$n"; done
for node in /sys/devices/system/node/node*; do copy_attr "$node/cpulist"; done
mkdir -p "$R/proc/self"
cat /proc/self/mounts >"$R/proc/self/mounts"
cat /proc/self/mountinfo >"$R/proc/self/mountinfo"
cat /proc/swaps >"$R/proc/swaps"
cat /proc/cmdline >"$R/proc/cmdline"
uname -r >"$R/proc/kernel-release"
echo "hvrec: begin"
tar -C "$R" -czf - . | base64
echo "hvrec: end"
EOF

(cd "$root" && find . | cpio --quiet -o -H newc | gzip -9) >"$work/initrd.img"

for d in boot ahci nvme0 mega mpt nvme1; do truncate -s 64M "$work/$d.img"; done
drive() { echo "file=$work/$1.img,if=none,id=$1,format=raw"; }
script=$(printf 'sh /record.sh' | base64 -w0)
timeout 600 qemu-system-x86_64 -accel tcg -M q35,kernel-irqchip=split -m 1024 -smp 2 \
  -object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M \
  -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1 \
  -device intel-iommu,intremap=on \
  -display none -monitor none -serial stdio -no-reboot -nic none \
  -kernel "$work/kernel/boot/vmlinuz-$kver" -initrd "$work/initrd.img" \
  -append "console=ttyS0 intel_iommu=on loglevel=1 panic=-1 hvtest=$script" \
  -device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=0x2 \
  -device pcie-root-port,id=rp2,chassis=2,bus=pcie.0,addr=0x3 \
  -device pcie-root-port,id=rp3,chassis=3,bus=pcie.0,addr=0x4 \
  -device pcie-root-port,id=rp4,chassis=4,bus=pcie.0,addr=0x5 \
  -device virtio-scsi-pci,id=vscsi,bus=rp1 -drive "$(drive boot)" -device scsi-hd,drive=boot,bus=vscsi.0 \
  -device ich9-ahci,id=ahci,bus=rp2 -drive "$(drive ahci)" -device ide-hd,drive=ahci,bus=ahci.0 \
  -drive "$(drive nvme0)" -device nvme,serial=hvrec0,drive=nvme0,bus=rp3 \
  -device pcie-pci-bridge,id=pbr,bus=rp4 \
  -device megasas-gen2,id=mega,bus=pbr,addr=0x1 -drive "$(drive mega)" -device scsi-hd,drive=mega,bus=mega.0 \
  -device mptsas1068,id=mpt,bus=pbr,addr=0x2 -drive "$(drive mpt)" -device scsi-hd,drive=mpt,bus=mpt.0 \
  -device pxb-pcie,id=pxb1,bus_nr=0x80,numa_node=1,bus=pcie.0,addr=0x10 \
  -device pcie-root-port,id=rp5,chassis=5,bus=pxb1,addr=0x0 \
  -drive "$(drive nvme1)" -device nvme,serial=hvrec1,drive=nvme1,bus=rp5 \
  >"$work/console.log" </dev/null || true

if ! grep -q '^hvrec: end' <(tr -d '\r' <"$work/console.log"); then
  echo "record-pci-sysfs: the guest did not finish; its console:" >&2
  tr -d '\r' <"$work/console.log" | tail -40 >&2
  exit 1
fi
tr -d '\r' <"$work/console.log" | grep '^hvrec:\|^hvtest: insmod' >&2 || true
[[ -z ${HVREC_CONSOLE:-} ]] || tr -d '\r' <"$work/console.log" | sed '/^hvrec: begin$/,/^hvrec: end$/d' >"$HVREC_CONSOLE"
rm -rf "$out"
mkdir -p "$out"
tr -d '\r' <"$work/console.log" | sed -n '/^hvrec: begin$/,/^hvrec: end$/p' | sed '1d;$d' |
  base64 -d | tar -C "$out" -xzf -
# git keeps no empty directories, and an empty holders/ or a driver directory
# is information: mark each (discovery skips dot files).
find "$out" -type d -empty -exec touch {}/.keep \;
echo "record-pci-sysfs: kernel $kver; tree in $out"
