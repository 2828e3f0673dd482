/* cmd_sync.c: the commands that talk to central and settle conflicts: sync, conflicts,
 * resolve, and log (a dossier's versions from history). */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int json_flag(const cli_command *me, int argc, char **argv, int npos, int *json)
{
	static const struct option opts[] = {{"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	int ch;

	*json = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage_error(me, "unknown option");
		*json = 1;
	}
	if (argc - optind != npos)
		return cli_usage_error(me, npos ? "give CODE" : "unexpected argument");
	return 0;
}

static json_t *stats_json(const agent_sync_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "pushed",
	                 (json_int_t)s->pushed, "batches", (json_int_t)s->batches, "applied",
	                 (json_int_t)s->applied, "duplicate", (json_int_t)s->duplicate, "conflict",
	                 (json_int_t)s->conflict, "rejected", (json_int_t)s->rejected, "pulled",
	                 (json_int_t)s->pulled, "echo_taken", (json_int_t)s->echo_taken, "merged",
	                 (json_int_t)s->merged, "queued", (json_int_t)s->queued, "bytes_up",
	                 (json_int_t)s->bytes_up, "bytes_down", (json_int_t)s->bytes_down,
	                 "requests", (json_int_t)s->requests, "files_sent",
	                 (json_int_t)s->files_sent, "file_bytes", (json_int_t)s->file_bytes);
}

static void print_stats(const agent_sync_stats *s)
{
	printf("pushed %lld ops in %lld batches (%lld applied, %lld duplicate, %lld conflict, "
	       "%lld rejected)\n",
	       (long long)s->pushed, (long long)s->batches, (long long)s->applied,
	       (long long)s->duplicate, (long long)s->conflict, (long long)s->rejected);
	printf("pulled %lld changes (%lld own taken from the receipts); merged %lld dossiers, "
	       "%lld fields wait for a person\n",
	       (long long)s->pulled, (long long)s->echo_taken, (long long)s->merged,
	       (long long)s->queued);
	if (s->files_sent)
		printf("sent %lld attachments, %lld bytes\n", (long long)s->files_sent,
		       (long long)s->file_bytes);
	printf("%llu requests, %llu bytes up, %llu bytes down\n", (unsigned long long)s->requests,
	       (unsigned long long)s->bytes_up, (unsigned long long)s->bytes_down);
}

/* The history line of sync: how far history.git is behind the rounds (json: a member). */
static int history_note(agent *a, json_t *o)
{
	int64_t behind = 0;
	int rc = agent_history_behind(a, &behind, NULL);

	if (rc)
		return rc;
	if (o)
		json_object_set_new(o, "history_behind", json_integer(behind));
	else if (behind)
		printf("history: %lld changes behind (the daemon, log, verify or sync --history "
		       "catch it up)\n",
		       (long long)behind);
	else
		printf("history: caught up\n");
	return 0;
}

static int cmd_sync(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", 0, 0, 'j'}, {"history", 0, 0, 'H'}, {0, 0, 0, 0}};
	agent_sync_stats s;
	agent *a = NULL;
	json_t *o = NULL;
	int json = 0, hist = 0, ch, rc;

	if ((rc = agent_cli_take_progress(c, cli_find("sync"), &argc, argv)))
		return rc;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j' && ch != 'H')
			return cli_usage_error(cli_find("sync"), "unknown option");
		json |= ch == 'j';
		hist |= ch == 'H';
	}
	if (argc != optind)
		return cli_usage_error(cli_find("sync"), "unexpected argument");
	if ((rc = agent_cli_open(c, AGENT_READ, &a)))
		return rc;
	rc = agent_sync(a, &s);
	if (!rc && hist)
		rc = agent_history_catch_up(a);
	if (!rc) {
		o = json ? stats_json(&s) : NULL;
		if (!json)
			print_stats(&s);
		if (!(rc = history_note(a, o)) && o)
			cli_print_json(o);
	}
	json_decref(o);
	agent_close(a);
	return rc;
}

static int cmd_conflicts(cli *c, int argc, char **argv)
{
	agent *a = NULL;
	json_t *list = NULL, *row;
	size_t i;
	int json, rc;

	if ((rc = json_flag(cli_find("conflicts"), argc, argv, 0, &json)) ||
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
		return rc;
	if ((rc = agent_conflicts(a, &list)) == 0 && json)
		cli_print_json(list);
	else if (!rc) {
		json_array_foreach(list, i, row)
		{
			char *o = json_dumps(json_object_get(row, "ours"), JSON_ENCODE_ANY);
			char *t = json_dumps(json_object_get(row, "theirs"), JSON_ENCODE_ANY);
			printf("%s  %s  ours %s  theirs %s  since %s  (%s)\n",
			       json_string_value(json_object_get(row, "code")),
			       json_string_value(json_object_get(row, "field")), o, t,
			       json_string_value(json_object_get(row, "since")),
			       json_string_value(json_object_get(row, "reason")));
			free(o);
			free(t);
		}
		printf("%zu open conflict%s\n", json_array_size(list),
		       json_array_size(list) == 1 ? "" : "s");
	}
	json_decref(list);
	agent_close(a);
	return rc;
}

static int cmd_resolve(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ours", 0, 0, 'o'}, {"theirs", 0, 0, 't'}, {"value", 1, 0, 'v'}, {0, 0, 0, 0}};
	const cli_command *me = cli_find("resolve");
	const char *how = NULL;
	json_t *value = NULL;
	agent *a = NULL;
	int ch, n = 0, rc = 0;

	while (!rc && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		n++;
		if (ch == 'o')
			how = "ours";
		else if (ch == 't')
			how = "theirs";
		else if (ch == 'v') {
			how = "value";
			json_decref(value);
			if (ds_json_parse(optarg, strlen(optarg), &value))
				rc = ds_error_set(DS_EINVALID, "--value: not JSON: %s", optarg);
		} else
			rc = cli_usage_error(me, "unknown option");
	}
	if (!rc && (n != 1 || optind != argc - 2))
		rc = cli_usage_error(me, "give CODE FIELD and one of --ours, --theirs, --value");
	if (!rc)
		rc = agent_cli_open(c, AGENT_WRITE, &a);
	if (!rc)
		rc = agent_resolve(a, argv[optind], argv[optind + 1], how,
		                   json_is_null(value) ? NULL : value);
	if (!rc)
		printf("resolved %s %s (%s); the decision syncs as a journal entry\n", argv[optind],
		       argv[optind + 1], how);
	json_decref(value);
	agent_close(a);
	return rc;
}

static int cmd_log(cli *c, int argc, char **argv)
{
	agent *a = NULL;
	json_t *log = NULL, *e, *d = NULL;
	size_t i;
	int json, rc;

	if ((rc = agent_cli_take_progress(c, cli_find("log"), &argc, argv)) ||
	    (rc = json_flag(cli_find("log"), argc, argv, 1, &json)) ||
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
		return rc;
	if ((rc = agent_get(a, argv[optind], &d, NULL, NULL)))
		goto done;
	agent_history_ready(a); /* on failure: warned, the history there is shown */
	if ((rc = agent_history_log(a, argv[optind], &log)))
		goto done;
	if (json) {
		cli_print_json(log);
		goto done;
	}
	json_array_foreach(log, i, e)
	{
		char *f = json_dumps(json_object_get(e, "fields"), JSON_COMPACT);
		printf("%.12s %-7s %s %-14s %s\n    fields %s\n",
		       json_string_value(json_object_get(e, "commit")),
		       json_string_value(json_object_get(e, "branch")),
		       json_string_value(json_object_get(e, "when")),
		       json_string_value(json_object_get(e, "who")),
		       json_string_value(json_object_get(e, "message")), f ? f : "[]");
		free(f);
	}
	if (json_array_size(log) == 0)
		printf("no versions in history yet (history records each sync round)\n");
done:
	json_decref(d);
	json_decref(log);
	agent_close(a);
	return rc;
}

const cli_command cli_sync_commands[] = {
    {"sync", cmd_sync,
     "sync [--history] [--json] [--progress=MODE]\n"
     "Pushes every pending change to central and pulls central's changes until caught\n"
     "up, merging what diverged, then exits. Exit 75 when central cannot be reached\n"
     "(nothing is lost: run it again later), 77 when central refuses the token.\n"
     "history.git is caught up after the round, by the daemon, log or verify; with\n"
     "--history, sync catches it up before it exits. The last line says how far behind\n"
     "it is (json: history_behind, changes not yet in history.git).\n"
     "Progress (done/total, rate, ETA) is one line on stderr at a terminal; --progress=json\n"
     "sends it as JSON events on stderr, --progress=none turns it off.\n"},
    {"conflicts", cmd_conflicts,
     "conflicts [--json]\n"
     "Lists the fields that wait for a person: code, field, ancestor, ours, theirs, since.\n"},
    {"resolve", cmd_resolve,
     "resolve CODE FIELD (--ours | --theirs | --value JSON)\n"
     "Settles one open conflict; the decision is a journal entry that syncs like any other.\n"},
    {"log", cmd_log,
     "log CODE [--json] [--progress=MODE]\n"
     "The versions of one dossier from history.git: when, who, which fields changed.\n"
     "Catches history.git up with the last sync first, with progress as for sync.\n"},
    {NULL, NULL, NULL},
};
