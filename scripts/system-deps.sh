#!/usr/bin/env bash
# Install the Debian packages fundtrack needs, where they are missing and we can.
#   system-deps.sh run    what the running app needs: the CJK font and HarfBuzz's subsetter,
#                         without which every PDF (notices, reports) answers 503 cjk_font_missing
#   system-deps.sh test   that, and what the tests need: pdftotext and Chromium
set -euo pipefail
mode="${1:-test}"
missing=()
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing+=(fonts-noto-cjk)
# WeasyPrint subsets the embedded fonts with HarfBuzz
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing+=(libharfbuzz-subset0)
if [ "$mode" = test ]; then
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  # the browser tests (tests/browser) drive Debian's Chromium headless with Playwright
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  case " ${missing[*]} " in
    *" fonts-noto-cjk "*|*" libharfbuzz-subset0 "*)
      echo "without them the PDFs (allocation notices, reports) answer 503 cjk_font_missing" >&2 ;;
  esac
  case " ${missing[*]} " in
    *" chromium "*) echo "without /usr/bin/chromium the browser tests (tests/browser) are skipped" >&2 ;;
  esac
fi
