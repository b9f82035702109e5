#!/usr/bin/env bash
# Builds the tiny test guest from Debian packages: the cloud kernel (fetched
# with apt-get download, never installed on the host) and a busybox-static
# initramfs carrying the virtio, 802.1Q and bridge (a processor VM's wire)
# modules, loaded in dependency order.
#
#   build-test-guest.sh OUT_DIR     writes OUT_DIR/vmlinuz and OUT_DIR/initrd.img
#
# The guest's /init runs the shell script passed base64-encoded on the kernel
# command line as hvtest=…, prints "hvtest: up", "hvtest: exit N" and powers off.
# Everything the script prints goes to the serial console (ttyS0).
set -euo pipefail

out=$(realpath -m "$1")
src_dir=$(cd "$(dirname "$0")" && pwd)
# Modules the guest needs; their dependencies are added from modules.dep.
wanted=(virtio_pci virtio_net virtio_scsi sd_mod 8021q bridge button evdev)

if [[ -s $out/vmlinuz && -s $out/initrd.img && $out/initrd.img -nt $0 &&
  $out/initrd.img -nt $src_dir/test-guest-init && $out/initrd.img -nt $src_dir/guest-kernel.sh ]]; then
  exit 0 # cached in the build tree
fi

busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
  [[ $(ldd "$busybox" 2>&1) == *"not a dynamic executable"* ]] ||
  { echo "build-test-guest: $busybox is not static (install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prog=build-test-guest
# shellcheck source=guest-kernel.sh
. "$src_dir/guest-kernel.sh"
fetch_kernel linux-image-cloud-amd64

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
stage_modules "$root" "${wanted[@]}"
install -m 0755 "$src_dir/test-guest-init" "$root/init"

mkdir -p "$out"
(cd "$root" && find . | cpio --quiet -o -H newc | gzip -9) >"$out/initrd.img.tmp"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "build-test-guest: kernel $kver, modules: ${order[*]}"
