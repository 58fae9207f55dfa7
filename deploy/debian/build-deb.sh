#!/usr/bin/env bash
# Builds the Debian packages sopd and sop-emulator by Debian policy from a tree that
# `make install-files` staged (release binaries, man pages, units, documentation):
#   deploy/debian/build-deb.sh STAGE OUT CHANGELOG
# Each binary is stripped; its debug symbols stay beside the packages as PACKAGE_VERSION_ARCH.debug
# (the binary names it in .gnu_debuglink, for gdb). Man pages and the changelog are compressed with
# gzip -9n; dpkg-shlibdeps computes Depends, dpkg-gencontrol writes the control file with
# Installed-Size; md5sums and conffiles are written. The version is the changelog's; its upstream
# part must be the one the binary reports.
set -euo pipefail
stage=$(realpath "${1:?usage: build-deb.sh STAGE OUT CHANGELOG}")
out=$(realpath "${2:?usage: build-deb.sh STAGE OUT CHANGELOG}")
changelog=$(realpath "${3:?usage: build-deb.sh STAGE OUT CHANGELOG}")
here=$(cd "$(dirname "$0")" && pwd)
version=$(dpkg-parsechangelog -l "$changelog" -S Version)
arch=$(dpkg --print-architecture)
reported=$("$stage/usr/bin/sopd" --version)
if [ "$reported" != "${version%-*}" ]; then
  echo "build-deb: the changelog's version is $version but sopd --version says $reported;" \
    "add a changelog entry for $reported-1 (or change BuildInfo.version)" >&2
  exit 1
fi

work=$out/work
rm -rf "$work"
mkdir -p "$work/debian" "$work/sopd" "$work/sop-emulator"
cp "$here/control" "$work/debian/control"
cp "$changelog" "$work/debian/changelog"
cp -a "$stage/." "$work/sopd/"
# The emulator's files go to their own package.
for file in usr/bin/sop-emulator usr/share/man/man1/sop-emulator.1; do
  mkdir -p "$work/sop-emulator/$(dirname "$file")"
  mv "$work/sopd/$file" "$work/sop-emulator/$file"
done
find "$work/sopd/usr/share/man" -type d -empty -delete

for package in sopd sop-emulator; do
  root=$work/$package
  binary=$root/usr/bin/$package
  debug=${package}_${version}_${arch}.debug
  objcopy --only-keep-debug "$binary" "$out/$debug"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$binary"
  (cd "$out" && objcopy --add-gnu-debuglink="$debug" "$binary")
  find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +
  doc=$root/usr/share/doc/$package
  install -d "$doc"
  install -m 0644 "$here/copyright" "$doc/copyright"
  gzip -9nc "$changelog" > "$doc/changelog.Debian.gz"
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -type f -exec chmod 0644 {} +
  chmod 0755 "$binary"
  if [ "$package" = sopd ]; then
    chmod 0750 "$root/etc/sopd"
    chmod 0700 "$root/etc/sopd/credentials"
    chmod 0640 "$root/etc/sopd/sopd.yaml"
    install -D -m 0644 "$here/sopd.lintian-overrides" "$root/usr/share/lintian/overrides/sopd"
  fi
  mkdir -p "$root/DEBIAN"
  (cd "$work" && dpkg-shlibdeps -T"debian/$package.substvars" -e"$binary" 2>/dev/null)
  (cd "$work" && dpkg-gencontrol -p"$package" -P"$root" -T"debian/$package.substvars" -f"debian/files")
  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/md5sums"
  if [ "$package" = sopd ]; then
    echo /etc/sopd/sopd.yaml > "$root/DEBIAN/conffiles"
    install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
  fi
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${package}_${version}_${arch}.deb" >/dev/null
  echo "built $out/${package}_${version}_${arch}.deb ($(du -k "$out/${package}_${version}_${arch}.deb" | cut -f1) KiB; Depends: $(dpkg-deb -f "$out/${package}_${version}_${arch}.deb" Depends))"
done
rm -rf "$work"
