#!/usr/bin/env bash
# Install the Debian packages the test suite needs, where they are missing and we can.
set -euo pipefail
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing+=(fonts-noto-cjk)
# WeasyPrint subsets the embedded fonts with HarfBuzz
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing+=(libharfbuzz-subset0)
# the browser tests (tests/browser) drive Debian's Chromium headless with Playwright
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  case " ${missing[*]} " in
    *" chromium "*) echo "without /usr/bin/chromium the browser tests (tests/browser) are skipped" >&2 ;;
  esac
fi
