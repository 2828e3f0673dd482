# wait.sh: waiting for a condition, shared by the e2e and central test libs (each sources
# it and defines pass and fail). A test waits for what it expects, polled every 0.1 s up
# to a deadline, never a fixed sleep followed by one check: a fixed sleep is too short on
# a loaded machine and too long everywhere else.

# poll_until TIMEOUT_S COMMAND...: runs COMMAND (a command or a shell function, in a
# subshell, so it cannot set variables) every 0.1 s until it succeeds; 0 then, 1 once
# TIMEOUT_S seconds (decimals allowed) have passed. COMMAND's last output (stdout and
# stderr) is left in POLL_OUT; POLL_MS is the time waited in milliseconds. A costly
# COMMAND (one that reads whole databases) may be polled less often with POLL_EVERY=0.5
# before the call, so the wait does not slow down what it waits for on a busy machine.
poll_until() {
	local limit t0
	limit=$(usecs "$1")
	shift
	t0=$(usecs "$EPOCHREALTIME")
	while :; do
		POLL_OUT=$("$@" 2>&1) && break
		if [ $(($(usecs "$EPOCHREALTIME") - t0)) -ge "$limit" ]; then
			POLL_MS=$((($(usecs "$EPOCHREALTIME") - t0) / 1000))
			return 1
		fi
		sleep "${POLL_EVERY:-0.1}"
	done
	POLL_MS=$((($(usecs "$EPOCHREALTIME") - t0) / 1000))
	return 0
}

# wait_for DESCRIPTION TIMEOUT_S COMMAND...: poll_until, counted as a check: a pass when
# COMMAND succeeds in time, else a failure naming DESCRIPTION, the time waited and
# COMMAND's last output. Returns 0 or 1, so a caller may stop: wait_for ... || exit 1.
wait_for() {
	local what=$1 limit=$2
	shift 2
	if poll_until "$limit" "$@"; then
		pass
		return 0
	fi
	fail "$what: not so after ${limit} s; last output: $(printf '%s' "$POLL_OUT" | head -c 400)"
	return 1
}

# Conditions for wait_for and poll_until.
# output_is WANT COMMAND...: COMMAND prints exactly WANT (prints what it printed).
output_is() {
	local want=$1 got
	shift
	got=$("$@")
	printf '%s\n' "$got"
	[ "$got" == "$want" ]
}

# at_least N COMMAND...: COMMAND prints a whole number of at least N.
at_least() {
	local want=$1 got
	shift
	got=$("$@")
	printf '%s\n' "$got"
	[[ "$got" =~ ^[0-9]+$ ]] && [ "$got" -ge "$want" ]
}

# log_count FILE PATTERN: how many lines of FILE match PATTERN (grep BRE); 0 if FILE is
# missing.
log_count() {
	local n
	n=$(grep -c -- "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

# log_has FILE PATTERN [COUNT]: FILE holds at least COUNT (1) lines matching PATTERN;
# prints its last line.
log_has() {
	tail -1 "$1" 2>/dev/null
	[ "$(log_count "$1" "$2")" -ge "${3:-1}" ]
}

# usecs SECONDS: a time in seconds (an integer, or decimals as in EPOCHREALTIME) as
# microseconds.
usecs() {
	local s=${1%%[.,]*} f=000000
	[[ "$1" == *[.,]* ]] && f="${1#*[.,]}000000"
	echo $((10#${s:-0} * 1000000 + 10#${f:0:6}))
}
