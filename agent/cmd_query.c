/* cmd_query.c: the commands that read: show, list, journal, verify, status. They take no
 * writer lock, so a clerk can read while the daemon syncs. */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses the options every query shares: --json, --status N, --overdue, --since SEQ. */
struct qopts {
	int json, overdue;
	long long status, since;
};

static int parse_q(const cli_command *me, int argc, char **argv, struct qopts *q, int npos)
{
	static const struct option opts[] = {{"json", 0, 0, 'j'}, {"status", 1, 0, 's'},
					     {"overdue", 0, 0, 'o'}, {"since", 1, 0, 'S'},
					     {0, 0, 0, 0}};
	int ch;

	memset(q, 0, sizeof(*q));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			q->json = 1;
		else if (ch == 'o' && strstr(me->usage, "--overdue"))
			q->overdue = 1;
		else if (ch == 's' && strstr(me->usage, "--status")) {
			q->status = cli_number(optarg);
			if (q->status < 1 || q->status > 10)
				return ds_error_set(DS_EINVALID, "--status: '%s' is not 1-10",
						    optarg);
		} else if (ch == 'S' && strstr(me->usage, "--since")) {
			if ((q->since = cli_number(optarg)) < 0)
				return ds_error_set(DS_EINVALID, "--since: '%s' is not a seq",
						    optarg);
		} else
			return cli_usage_error(me, "unknown option");
	}
	if (argc - optind != npos)
		return cli_usage_error(me, npos ? "give CODE" : "unexpected argument");
	return 0;
}

/* The text of obj's member key, or "-" when it is absent or not text: a state pulled from
 * central may lack a field, and printf would show a NULL as "(null)". */
static const char *text_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "-";
}

static void show_text(const json_t *d, int64_t version, const char *sync)
{
	const json_t *ap = json_object_get(d, "applicant"), *pr = json_object_get(d, "procedure");
	int status = (int)json_integer_value(json_object_get(d, "status"));

	printf("%s  (version %lld, %s)\n", text_of(d, "code"), (long long)version,
	       sync ? sync : "-");
	printf("  procedure  %s %s\n", text_of(pr, "code"), text_of(pr, "name"));
	printf("  status     %d %s%s\n", status, schema_status_name(status),
	       schema_dossier_overdue(d, ds_time_now()) ? "  [overdue]" : "");
	printf("  applicant  %s", text_of(ap, "name"));
	if (json_is_string(json_object_get(ap, "id_number")))
		printf("  CCCD %s", text_of(ap, "id_number"));
	if (json_is_string(json_object_get(ap, "phone")))
		printf("  tel %s", text_of(ap, "phone"));
	printf("\n  received   %s\n  due        %s\n", text_of(d, "received_at"),
	       text_of(d, "due_at"));
	if (json_is_string(json_object_get(d, "summary")))
		printf("  summary    %s\n", text_of(d, "summary"));
	printf("  lists      %zu components, %zu fees, %zu progress rows\n",
	       json_array_size(json_object_get(d, "components")),
	       json_array_size(json_object_get(d, "fees")),
	       json_array_size(json_object_get(d, "progress")));
}

static int cmd_show(cli *c, int argc, char **argv)
{
	struct qopts q;
	agent *a = NULL;
	json_t *d = NULL;
	int64_t version = 0;
	const char *sync = NULL;
	int rc;

	if ((rc = parse_q(cli_find("show"), argc, argv, &q, 1)) ||
	    (rc = cli_open(c, AGENT_READ, &a)))
		goto done;
	if ((rc = agent_get(a, argv[optind], &d, &version, &sync)))
		goto done;
	if (q.json) {
		json_object_set_new(d, "version", json_integer(version));
		json_object_set_new(d, "sync", json_string(sync));
		cli_print_json(d);
	} else {
		show_text(d, version, sync);
	}
done:
	json_decref(d);
	agent_close(a);
	return rc;
}

static int cmd_list(cli *c, int argc, char **argv)
{
	struct qopts q;
	agent *a = NULL;
	json_t *list = NULL, *row;
	size_t i;
	int rc;

	if ((rc = parse_q(cli_find("list"), argc, argv, &q, 0)) ||
	    (rc = cli_open(c, AGENT_READ, &a)))
		goto done;
	if ((rc = agent_list(a, (int)q.status, q.overdue, &list)))
		goto done;
	if (q.json) {
		cli_print_json(list);
		goto done;
	}
	json_array_foreach(list, i, row)
	{
		printf("%-28s %2lld  %-25s %-8s %s%s\n", text_of(row, "code"),
		       (long long)json_integer_value(json_object_get(row, "status")),
		       text_of(row, "due_at"), text_of(row, "sync"), text_of(row, "applicant"),
		       json_is_true(json_object_get(row, "overdue")) ? "  [overdue]" : "");
	}
	printf("%zu dossier%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
done:
	json_decref(list);
	agent_close(a);
	return rc;
}

static int cmd_journal(cli *c, int argc, char **argv)
{
	struct qopts q;
	agent *a = NULL;
	json_t *list = NULL, *op;
	size_t i;
	int rc;

	if ((rc = parse_q(cli_find("journal"), argc, argv, &q, 0)) ||
	    (rc = cli_open(c, AGENT_READ, &a)))
		goto done;
	if ((rc = agent_journal(a, q.since, &list)))
		goto done;
	if (q.json) {
		cli_print_json(list);
		goto done;
	}
	json_array_foreach(list, i, op)
	{
		printf("%6lld %-14s %-10s %-28s %-12s %s %.12s %s\n",
		       (long long)json_integer_value(json_object_get(op, "seq")),
		       json_string_value(json_object_get(op, "op_id")),
		       json_string_value(json_object_get(op, "kind")),
		       json_string_value(json_object_get(op, "code")),
		       json_string_value(json_object_get(op, "actor")),
		       json_string_value(json_object_get(op, "occurred_at")),
		       json_string_value(json_object_get(op, "hash")),
		       json_string_value(json_object_get(op, "sync")));
	}
done:
	json_decref(list);
	agent_close(a);
	return rc;
}

/* Prints the rows that differ from the replay, one line each; DS_EINVALID when any. */
static int report_rows(const json_t *bad)
{
	const json_t *line;
	size_t i;

	json_array_foreach(bad, i, line) printf("%s\n", json_string_value(line));
	if (json_array_size(bad) == 0) {
		printf("dossier rows agree with the replay of the journal and inbox\n");
		return 0;
	}
	return ds_error_set(DS_EINVALID,
	                    "%zu dossier row%s differ%s from the replay of the journal and inbox "
	                    "(first: %s)",
	                    json_array_size(bad), json_array_size(bad) == 1 ? "" : "s",
	                    json_array_size(bad) == 1 ? "s" : "",
	                    json_string_value(json_array_get(bad, 0)));
}

/* Read-only: writes neither agent.db nor history.git. */
static int cmd_verify(cli *c, int argc, char **argv)
{
	json_t *bad = NULL, *states = NULL;
	const char *note = NULL;
	agent *a = NULL;
	int64_t n = 0;
	int rc;

	if (argc > 1)
		return cli_usage_error(cli_find("verify"), "unexpected argument");
	if ((rc = cli_open(c, AGENT_READ, &a)))
		return rc;
	rc = agent_verify_journal(a, &n);
	if (!rc)
		printf("journal intact: %lld entries, hash chain verified\n", (long long)n);
	if (!rc && !(rc = agent_verify_rows(a, &bad, &states)))
		rc = report_rows(bad);
	if (!rc && !(rc = agent_history_check(a, states, &note)))
		printf("%s\n", note);
	json_decref(bad);
	json_decref(states);
	agent_close(a);
	return rc;
}

static void daemon_text(const json_t *d)
{
	const json_t *next = json_object_get(d, "next_try_at");

	if (!json_is_true(json_object_get(d, "running"))) {
		printf("daemon      not running\n");
		return;
	}
	printf("daemon      running (pid %lld)",
	       (long long)json_integer_value(json_object_get(d, "pid")));
	if (json_is_string(json_object_get(d, "state")))
		printf(", %s", json_string_value(json_object_get(d, "state")));
	if (json_is_string(next))
		printf(", next try %s", json_string_value(next));
	printf("\n");
}

/* Loud when central holds more of this journal than it has, or another version of it. */
static void tail_text(const json_t *t)
{
	const char *state = json_string_value(json_object_get(t, "state"));

	if (!state || !strcmp(state, "ok") || !strcmp(state, "unknown"))
		return;
	printf("!!! JOURNAL %s CENTRAL: %s\n", !strcmp(state, "behind") ? "BEHIND" : "FORKED FROM",
	       json_string_value(json_object_get(t, "message")));
}

/* The clock line: the skew central measured at the last sync, and a plain warning. */
static void clock_text(const json_t *s)
{
	const json_t *skew = json_object_get(s, "clock_skew_s");
	long long v = json_integer_value(skew);

	if (!json_is_integer(skew))
		return;
	printf("clock       %lld s %s central's (checked %s)%s\n", v < 0 ? -v : v,
	       v < 0 ? "behind" : "ahead of",
	       json_string_value(json_object_get(s, "clock_checked_at")),
	       json_is_false(json_object_get(s, "clock_ok"))
		   ? ": WRONG, set this PC's clock; the times it records are wrong"
		   : "");
}

static void status_text(const json_t *s)
{
	const json_t *age = json_object_get(s, "oldest_pending_age_s");

	printf("office %s, node %s, central %s\n", json_string_value(json_object_get(s, "office")),
	       json_string_value(json_object_get(s, "node")),
	       json_string_value(json_object_get(s, "central")));
	printf("journal     %lld entries, %lld dossiers\n",
	       (long long)json_integer_value(json_object_get(s, "journal_seq")),
	       (long long)json_integer_value(json_object_get(s, "dossiers")));
	printf("pending     %lld ops", (long long)json_integer_value(json_object_get(s, "pending_ops")));
	if (json_is_integer(age))
		printf(", oldest %lld s old", (long long)json_integer_value(age));
	printf("\nrejected    %lld ops\nconflicts   %lld open\n",
	       (long long)json_integer_value(json_object_get(s, "rejected_ops")),
	       (long long)json_integer_value(json_object_get(s, "open_conflicts")));
	printf("last sync   %s\n", json_is_string(json_object_get(s, "last_sync_at"))
				       ? json_string_value(json_object_get(s, "last_sync_at"))
				       : "never");
	if (json_is_string(json_object_get(s, "last_success_at")))
		printf("last ok     %s\n", json_string_value(json_object_get(s, "last_success_at")));
	if (json_is_string(json_object_get(s, "last_error")))
		printf("last error  %s\n", json_string_value(json_object_get(s, "last_error")));
	clock_text(s);
	tail_text(json_object_get(s, "journal_tail"));
	daemon_text(json_object_get(s, "daemon"));
}

static int cmd_status(cli *c, int argc, char **argv)
{
	struct qopts q;
	agent *a = NULL;
	json_t *s = NULL;
	int rc;

	if ((rc = parse_q(cli_find("status"), argc, argv, &q, 0)) ||
	    (rc = cli_open(c, AGENT_READ, &a)))
		goto done;
	if ((rc = agent_status(a, &s)))
		goto done;
	if (q.json)
		cli_print_json(s);
	else
		status_text(s);
done:
	json_decref(s);
	agent_close(a);
	return rc;
}

const cli_command cli_query_commands[] = {
    {"show", cmd_show,
     "show CODE [--json]\n"
     "Prints one dossier; --json prints its canonical JSON plus version and sync.\n"},
    {"list", cmd_list,
     "list [--status N] [--overdue] [--json]\n"
     "Lists dossiers: code, status, due date, sync state, applicant. --overdue: those\n"
     "not ended whose due date has passed.\n"},
    {"journal", cmd_journal,
     "journal [--since SEQ] [--json]\n"
     "Prints journal entries after SEQ: every change, who made it, when, its hash.\n"},
    {"verify", cmd_verify,
     "verify\n"
     "Walks the journal's hash chain, checks every dossier row against the replay of the\n"
     "journal and the inbox (one line per row that differs, naming the first differing\n"
     "field), and history.git against that replay when it is caught up. Writes nothing;\n"
     "exits 0 only when all is intact, else 65.\n"},
    {"status", cmd_status,
     "status [--json]\n"
     "Pending ops and the age of the oldest, rejected ops, open conflicts, last sync.\n"},
    {NULL, NULL, NULL},
};
