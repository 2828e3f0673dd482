#!/usr/bin/env bash
# completion.sh: the bash completions of packaging/completion against the real binaries:
# every command `dossync --help` and `dossync-central --help` list is offered, and a few
# positions complete as a user expects. The two helpers the scripts take from the
# bash-completion package (_init_completion, _filedir) are defined here in their simplest
# form, so the test needs no such package.
BIN=$1
. "$(dirname "$0")/lib.sh"
COMP="$(cd "$(dirname "$0")/../../packaging/completion" && pwd)"

_init_completion() {
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=${words[cword - 1]}
}
_filedir() { COMPREPLY=(FILES); }
. "$COMP/dossync"
. "$COMP/dossync-central"

# comp FUNC WORD...: the completions of the last word, sorted, on one line.
comp() {
	local f=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	"$f"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

all=$(comp _dossync dossync "")
for c in $("$BIN/dossync" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
	[[ " $all " == *" $c "* ]] && pass || fail "dossync completion lacks command $c"
done
all=$(comp _dossync_central dossync-central "")
for c in $("$BIN/dossync-central" --help | sed -n '/^commands:/,/^'"'"'/p' |
	grep -oE '^  [a-z]+' | sort -u); do
	[[ " $all " == *" $c "* ]] && pass || fail "dossync-central completion lacks command $c"
done
same "global options" "$(comp _dossync dossync --v)" "--version "
same "after -d DIR" "$(comp _dossync dossync -d /x tr)" "transition "
same "-d takes a directory" "$(comp _dossync dossync -d "")" "FILES "
same "list options" "$(comp _dossync dossync list --o)" "--overdue "
same "daemon options" "$(comp _dossync dossync daemon --s)" "--syslog "
same "create takes a file" "$(comp _dossync dossync create "")" "FILES "
same "central global" "$(comp _dossync_central dossync-central --d)" "--db "
same "token subcommands" "$(comp _dossync_central dossync-central token "")" "add list revoke rotate "
same "token add options" "$(comp _dossync_central dossync-central --db x token add --r)" "--role "
same "roles" "$(comp _dossync_central dossync-central token add --role "")" "office province "
same "serve options" "$(comp _dossync_central dossync-central serve --max)" \
	"--max-connections --max-per-ip "
finish
