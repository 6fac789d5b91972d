# shellcheck shell=bash
# Background processes of `./dvk run`: started in process groups of their own, stopped
# together, and supervised: a worker or beat that dies is started again (after a pause that
# grows while it keeps dying quickly); any other process that stops ends the run.
# Sourced by ./dvk (and by tests/test_supervise.py); needs LOG_DIR.

declare -a BG_PIDS=()
declare -A BG_NAMES=() BG_STARTED=() BG_CMDS=() RESTARTS=()
# Names restarted when they die; SUPERVISE_MAX_DELAY caps the pause before a restart.
SUPERVISED=${SUPERVISED:-"worker beat"}
SUPERVISE_MAX_DELAY=${SUPERVISE_MAX_DELAY:-30}

declare -F say >/dev/null || say() { printf '==> %s\n' "$*"; }

# start_bg NAME CMD...: starts CMD in a session (and process group) of its own, logging to
# $LOG_DIR/NAME.log, so stop_all can end it and all its children at once.
start_bg() {
	local name=$1
	shift
	setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
	BG_PIDS+=($!)
	BG_NAMES[$!]=$name
	BG_STARTED[$!]=$SECONDS
	BG_CMDS[$name]=$(printf '%q ' "$@")
}

forget_bg() {
	local pid=$1 kept=() p
	for p in "${BG_PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
	BG_PIDS=(${kept[@]+"${kept[@]}"})
	unset "BG_NAMES[$pid]" "BG_STARTED[$pid]"
}

stop_all() {
	trap - EXIT
	[ ${#BG_PIDS[@]} -gt 0 ] || return 0
	# A second Ctrl-C (or TERM) while they stop: kill them at once.
	local force=
	trap 'force=1' INT TERM HUP
	say "stopping ${BG_NAMES[*]}"
	local pid i alive
	# The leaders first (gunicorn's master, celery's main process): they stop their own
	# children cleanly (celery's warm shutdown takes a few seconds). A group whose leader is
	# gone gets the signal itself; whatever is left after 20 s is killed.
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || kill -TERM -- "-$pid" 2>/dev/null || true
	done
	for i in $(seq 80); do
		alive=0
		for pid in "${BG_PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] || [ -n "$force" ] && break
		sleep 0.25
	done
	for pid in "${BG_PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	say "stopped"
}

# on_exit PID STATUS: a supervised process is started again; returns 1 for any other.
on_exit() {
	local pid=$1 status=$2 name lived delay count
	name=${BG_NAMES[$pid]}
	lived=$((SECONDS - ${BG_STARTED[$pid]}))
	forget_bg "$pid"
	# Whatever is left of its process group (a pool child) goes with its leader.
	kill -KILL -- "-$pid" 2>/dev/null || true
	case " $SUPERVISED " in
	*" $name "*) ;;
	*)
		echo "dvk: $name stopped (exit $status)" >&2
		return 1
		;;
	esac
	# A process that ran a minute or more starts again at once; one that keeps dying waits
	# 1, 2, 4 ... seconds, at most SUPERVISE_MAX_DELAY.
	if [ "$lived" -ge 60 ]; then
		RESTARTS[$name]=0
	fi
	count=$((${RESTARTS[$name]:-0} + 1))
	RESTARTS[$name]=$count
	delay=$((1 << (count > 6 ? 5 : count - 1)))
	[ "$delay" -le "$SUPERVISE_MAX_DELAY" ] || delay=$SUPERVISE_MAX_DELAY
	[ "$lived" -lt 60 ] || delay=0
	echo "dvk: $name stopped (exit $status after $lived s); restarting it in $delay s" \
		"(restart $count)" | tee -a "$LOG_DIR/$name.log" >&2
	sleep "$delay"
	eval "start_bg $name ${BG_CMDS[$name]}"
}

# supervise: watches the background processes (bash reaps its children as they exit and
# keeps their status for `wait PID`; `wait -n` would miss one that exited before it was
# called), restarting the supervised ones; returns 1 when another one stops.
supervise() {
	local pid status
	while [ ${#BG_PIDS[@]} -gt 0 ]; do
		for pid in "${BG_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && continue
			status=0
			wait "$pid" 2>/dev/null || status=$?
			on_exit "$pid" "$status" || return 1
		done
		sleep 1
	done
	return 1
}
