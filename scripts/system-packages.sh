#!/usr/bin/env bash
# The Debian packages the office documents need: Chinese fonts (Noto CJK: serif, sans; AR PL KaitiM: 楷),
# LibreOffice Writer (Word → A4 PDF), poppler (PDF → PNG in the tests), Chromium (the HTML in a real browser).
# Installed only when missing: a machine that has them (or cannot install) is left alone.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -q "Noto Serif CJK" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -q "AR PL UKai" || need+=(fonts-arphic-ukai)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
fc-cache -f >/dev/null 2>&1 || true
