#!/usr/bin/env bash
# Builds the tiny test guest from Debian packages: the cloud kernel (fetched
# with apt-get download, never installed on the host) and a busybox-static
# initramfs carrying the virtio and 802.1Q modules, loaded in dependency order.
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
wanted=(virtio_pci virtio_net virtio_scsi sd_mod 8021q button evdev)

if [[ -s $out/vmlinuz && -s $out/initrd.img && $out/initrd.img -nt $0 && $out/initrd.img -nt $src_dir/test-guest-init ]]; then
  exit 0 # cached in the build tree
fi

busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
  [[ $(ldd "$busybox" 2>&1) == *"not a dynamic executable"* ]] ||
  { echo "build-test-guest: $busybox is not static (install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

resolve_kernel() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
kpkg=$(resolve_kernel)
if [[ -z $kpkg ]]; then
  apt-get update -qq # package lists absent or stale on this machine
  kpkg=$(resolve_kernel)
fi
[[ -n $kpkg ]] || { echo "build-test-guest: cannot resolve linux-image-cloud-amd64 (apt-get update?)" >&2; exit 1; }
(cd "$work" && apt-get download -o APT::Sandbox::User=root "$kpkg" >/dev/null)
dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/kernel"
kver=$(ls "$work/kernel/lib/modules")
depmod -b "$work/kernel" "$kver" # the package ships no modules.dep
moddir=$work/kernel/lib/modules/$kver

# Depth-first over modules.dep gives an order in which every module's
# dependencies load before it.
declare -A path_of seen
while IFS=: read -r mpath _; do
  name=$(basename "$mpath"); name=${name%%.ko*}
  path_of[$name]=$mpath
  path_of[${name//-/_}]=$mpath
done <"$moddir/modules.dep"
order=()
visit() {
  local name=${1//-/_} dep
  [[ -n ${seen[$name]:-} ]] && return
  seen[$name]=1
  [[ -n ${path_of[$name]:-} ]] || return 0 # built into the kernel
  for dep in $(grep -E "^${path_of[$name]}:" "$moddir/modules.dep" | cut -d: -f2); do
    dep=$(basename "$dep"); visit "${dep%%.ko*}"
  done
  order+=("$name")
}
for m in "${wanted[@]}"; do visit "$m"; done

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
for m in "${order[@]}"; do
  f=$moddir/${path_of[$m]}
  case $f in
    *.ko) cp "$f" "$root/lib/modules/$m.ko" ;;
    *.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
  esac
  echo "$m" >>"$root/lib/modules/load-order"
done
install -m 0755 "$src_dir/test-guest-init" "$root/init"

mkdir -p "$out"
(cd "$root" && find . | cpio --quiet -o -H newc | gzip -9) >"$out/initrd.img.tmp"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "build-test-guest: kernel $kver, modules: ${order[*]}"
