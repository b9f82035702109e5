#!/usr/bin/env bash
# clang-format (check only) and clang-tidy over the project's own sources.
set -euo pipefail
build_dir=${1:-build/debug}
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'include/*.h' 'tests/*.cc' 'tests/*.h')
clang-format --dry-run --Werror "${files[@]}"
mapfile -t units < <(printf '%s\n' "${files[@]}" | grep '\.cc$')
# The compile commands without GCC's precompiled header, which clang cannot
# read (cmake/HvagentPrecompiledHeaders.cmake): clang parses the headers.
commands=$(mktemp -d)
trap 'rm -rf "$commands"' EXIT
sed -E 's# -Winvalid-pch -include [^ ]*/cmake_pch\.hxx##' "$build_dir/compile_commands.json" \
  > "$commands/compile_commands.json"
# GCC-only warning flags in compile_commands.json mean nothing to clang.
clang-tidy -p "$commands" --quiet --extra-arg=-Wno-unknown-warning-option "${units[@]}"
echo "lint: ${#files[@]} files clean"
