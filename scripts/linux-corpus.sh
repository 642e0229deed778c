#!/usr/bin/env bash
# Makes the big-text corpus of issue 21 the same way every time: every .c and .h file of Debian's
# linux-source-6.1 tarball, in byte order of their paths (LC_ALL=C), concatenated; optionally only
# the first MB megabytes (MiB), cut back to the end of the last whole line so that no UTF-8
# character is split. The corpus is never committed; tests make their own small texts.
# Usage: scripts/linux-corpus.sh OUT [MB]    (needs: apt-get install -y linux-source-6.1)
# TARBALL=path overrides /usr/src/linux-source-6.1.tar.xz.
set -euo pipefail
out="${1:?usage: scripts/linux-corpus.sh OUT [MB]}"
mb="${2:-0}"
tarball="${TARBALL:-/usr/src/linux-source-6.1.tar.xz}"
[[ -f "$tarball" ]] || { echo "no $tarball; install it with: apt-get install -y linux-source-6.1" >&2; exit 2; }
[[ "$mb" =~ ^[0-9]+$ ]] || { echo "MB must be a whole number of megabytes (0 = all), got '$mb'" >&2; exit 2; }
export LC_ALL=C
work="$(mktemp -d "${TMPDIR:-/tmp}/linux-corpus.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Only the sources are extracted; paths stay as the tarball names them, so the order is the same on any machine.
tar -xJf "$tarball" -C "$work" --wildcards '*.c' '*.h'
part="$out.part"
(cd "$work" && find . -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z | xargs -0 cat) > "$part.all"
if (( mb > 0 )); then
  head -c $(( mb * 1024 * 1024 )) "$part.all" > "$part.cut"
  # drop the unfinished last line (the cut may fall inside a multi-byte character)
  if [[ "$(tail -c 1 "$part.cut" | od -An -tx1 | tr -d ' ')" != 0a ]]; then sed -i '$d' "$part.cut"; fi
  mv "$part.cut" "$part"
  rm -f "$part.all" "$part.cut"
else
  mv "$part.all" "$part"
fi
mv "$part" "$out"
echo "$out: $(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
