#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/ensure_chromium.sh - the project's set-up for the browser test
# (tests/report_browser.py): make sure Debian's chromium is installed.
# Exit 0 when a chromium is on PATH (installing it with apt-get if it is
# missing and apt-get can be used: root, apt-get present); otherwise exit 1
# saying why, and the test reports itself skipped.
for b in chromium chromium-browser google-chrome chrome; do
	command -v "$b" >/dev/null 2>&1 && exit 0
done
if ! command -v apt-get >/dev/null 2>&1; then
	echo "chromium is not installed and there is no apt-get to install it with"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "chromium is not installed and installing it needs root (apt-get install chromium)"
	exit 1
fi
echo "installing chromium with apt-get (once) ..." >&2
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/kmm-chromium-install.log 2>&1; then
	# the package lists may be stale: refresh them once and retry
	if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
		>>/tmp/kmm-chromium-install.log 2>&1; then
		echo "apt-get install chromium failed (no network?); see /tmp/kmm-chromium-install.log"
		exit 1
	fi
fi
command -v chromium >/dev/null 2>&1 || { echo "apt-get installed chromium but it is not on PATH"; exit 1; }
exit 0
