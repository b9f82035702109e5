# Sourced by the scripts that build guests from Debian packages
# (build-test-guest.sh, record-pci-sysfs.sh): a kernel fetched with
# `apt-get download` (never installed on the host), and the modules a guest
# needs staged into an initramfs root in load order. Expects $work (a scratch
# directory) and $prog (the caller's name, for messages).

# fetch_kernel META_PACKAGE: unpacks the kernel META_PACKAGE depends on under
# $work/kernel; sets kver and moddir.
fetch_kernel() {
  local meta=$1 kpkg
  resolve() { apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
  kpkg=$(resolve)
  if [[ -z $kpkg ]]; then
    apt-get update -qq # package lists absent or stale on this machine
    kpkg=$(resolve)
  fi
  [[ -n $kpkg ]] || { echo "$prog: cannot resolve $meta (apt-get update?)" >&2; exit 1; }
  (cd "$work" && apt-get download -o APT::Sandbox::User=root "$kpkg" >/dev/null)
  dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/kernel"
  kver=$(ls "$work/kernel/lib/modules")
  depmod -b "$work/kernel" "$kver" # the package ships no modules.dep
  moddir=$work/kernel/lib/modules/$kver
}

# stage_modules ROOT MODULE…: copies each MODULE and its dependencies into
# ROOT/lib/modules (decompressed), listing them in ROOT/lib/modules/load-order
# so that every module's dependencies load before it (depth first over
# modules.dep); sets order.
stage_modules() {
  local root=$1 m f
  shift
  declare -gA path_of=() seen=()
  while IFS=: read -r mpath _; do
    m=$(basename "$mpath"); m=${m%%.ko*}
    path_of[$m]=$mpath
    path_of[${m//-/_}]=$mpath
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
  for m in "$@"; do visit "$m"; done
  mkdir -p "$root/lib/modules"
  for m in "${order[@]}"; do
    f=$moddir/${path_of[$m]}
    case $f in
      *.ko) cp "$f" "$root/lib/modules/$m.ko" ;;
      *.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
      *.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
    esac
    echo "$m" >>"$root/lib/modules/load-order"
  done
}
