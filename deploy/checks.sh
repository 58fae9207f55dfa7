# Sourced by make deb-test and make vm-test (and copied into the VM): one line per check, and a count.
# check WHAT COMMAND…   runs COMMAND; prints "ok: WHAT" or "FAILED: WHAT" and counts it.
# contains TEXT PATTERN   whether TEXT has a line matching the grep PATTERN.
# summary NAME           prints "NAME: N passed, M failed"; its status is 0 when none failed.
passed=0
failed=0

check() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    failed=$((failed + 1))
    echo "FAILED: $what"
  fi
}

contains() { grep -q -- "$2" <<< "$1"; }

summary() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
