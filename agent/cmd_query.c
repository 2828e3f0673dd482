/* cmd_query.c: the commands that read: show, list, journal, verify, status. They take no
 * writer lock, so a clerk can read while the daemon syncs. */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses the options every query shares: --json, --status N, --since SEQ. */
struct qopts {
	int json;
	long long status, since;
};

static int parse_q(const cli_command *me, int argc, char **argv, struct qopts *q, int npos)
{
	static const struct option opts[] = {
	    {"json", 0, 0, 'j'}, {"status", 1, 0, 's'}, {"since", 1, 0, 'S'}, {0, 0, 0, 0}};
	int ch;

	memset(q, 0, sizeof(*q));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			q->json = 1;
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

/* A duration as a clerk says it: "2 days 3 h", "5 h 10 min", "12 min". */
static void say_duration(int64_t s, char *out, size_t n)
{
	int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d)
		snprintf(out, n, "%lld day%s %lld h", (long long)d, d == 1 ? "" : "s",
		         (long long)h);
	else if (h)
		snprintf(out, n, "%lld h %lld min", (long long)h, (long long)m);
	else
		snprintf(out, n, "%lld min", (long long)m);
}

/* The verdict line of show, in plain words: v holds agent_verdict_fields' members, due
 * the due date (Unix seconds) and now the time it was judged at. */
static void show_verdict(const json_t *v, int64_t due, int64_t now)
{
	const char *name = json_string_value(json_object_get(v, "verdict"));
	json_int_t by = json_integer_value(json_object_get(v, "late_by_s"));
	json_int_t asked = json_integer_value(json_object_get(v, "supplement_requests"));
	char t[64];

	printf("  verdict    ");
	if (!strcmp(name, "on_time"))
		printf("on time");
	else if (!strcmp(name, "late") && json_object_get(v, "late_by_s")) {
		say_duration(by, t, sizeof(t));
		printf("late: ended %s after the due date", t);
	} else if (!strcmp(name, "late"))
		printf("late: %lld supplement requests (more than one counts as late)",
		       (long long)asked);
	else if (!strcmp(name, "overdue")) {
		say_duration(now - due, t, sizeof(t));
		printf("overdue by %s", t);
	} else if (!strcmp(name, "in_time")) {
		say_duration(due - now, t, sizeof(t));
		printf("in time: due in %s", t);
	} else
		printf("not judged (refused or stopped)");
	if (asked > 0 && strcmp(name, "late"))
		printf("; %lld supplement request%s", (long long)asked, asked == 1 ? "" : "s");
	printf("\n");
}

/* received, due (and the first due date when it moved), finished, returned, verdict. */
static void show_times(const json_t *d)
{
	json_t *v = json_object();
	int64_t now = ds_time_now(), due = 0;

	printf("  received   %s\n  due        %s", cli_text(d, "received_at", "-"),
	       cli_text(d, "due_at", "-"));
	if (json_is_string(json_object_get(d, "original_due_at")))
		printf("  (first due %s)", cli_text(d, "original_due_at", "-"));
	printf("\n");
	if (json_is_string(json_object_get(d, "finished_at")))
		printf("  finished   %s\n", cli_text(d, "finished_at", "-"));
	if (json_is_string(json_object_get(d, "returned_at")))
		printf("  returned   %s\n", cli_text(d, "returned_at", "-"));
	if (!json_is_string(json_object_get(d, "due_at")) ||
	    ds_time_parse(json_string_value(json_object_get(d, "due_at")), &due, NULL))
		due = now;
	agent_verdict_fields(v, d, now);
	show_verdict(v, due, now);
	json_decref(v);
}

static void show_text(const json_t *d, int64_t version, const char *sync)
{
	const json_t *ap = json_object_get(d, "applicant"), *pr = json_object_get(d, "procedure");
	int status = (int)json_integer_value(json_object_get(d, "status"));

	printf("%s  (version %lld, %s)\n", cli_text(d, "code", "-"), (long long)version,
	       sync ? sync : "-");
	printf("  procedure  %s %s\n", cli_text(pr, "code", "-"), cli_text(pr, "name", "-"));
	printf("  status     %d %s%s\n", status, schema_status_name(status),
	       schema_dossier_overdue(d, ds_time_now()) ? "  [overdue]" : "");
	printf("  applicant  %s", cli_text(ap, "name", "-"));
	if (json_is_string(json_object_get(ap, "id_number")))
		printf("  CCCD %s", cli_text(ap, "id_number", "-"));
	if (json_is_string(json_object_get(ap, "phone")))
		printf("  tel %s", cli_text(ap, "phone", "-"));
	printf("\n");
	show_times(d);
	if (json_is_string(json_object_get(d, "summary")))
		printf("  summary    %s\n", cli_text(d, "summary", "-"));
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
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
		goto done;
	if (q.json) {
		rc = agent_cli_print_dossier(a, argv[optind]);
		goto done;
	}
	if ((rc = agent_get(a, argv[optind], &d, &version, &sync)) == 0)
		show_text(d, version, sync);
done:
	json_decref(d);
	agent_close(a);
	return rc;
}

/* `list`'s options: the filters of agent_find and --json. */
struct lopts {
	int json;
	agent_find f;
};

static int parse_list(const cli_command *me, int argc, char **argv, struct lopts *l)
{
	static const struct option opts[] = {
	    {"json", 0, 0, 'j'},       {"status", 1, 0, 's'},        {"overdue", 0, 0, 'o'},
	    {"late", 0, 0, 'L'},       {"pending", 0, 0, 'p'},       {"search", 1, 0, 'q'},
	    {"due-within", 1, 0, 'd'}, {"received-from", 1, 0, 'f'}, {"received-to", 1, 0, 't'},
	    {"limit", 1, 0, 'n'},      {"offset", 1, 0, 'O'},        {0, 0, 0, 0}};
	int64_t now = ds_time_now();
	int ch, at = 0, rc;

	memset(l, 0, sizeof(*l));
	while ((ch = getopt_long(argc, argv, "", opts, &at)) != -1) {
		if (ch == '?' || ch == ':')
			return cli_usage_error(me, "unknown option");
		if (ch == 'j')
			l->json = 1;
		else if ((rc = agent_find_option(&l->f, opts[at].name, optarg, now)))
			return rc;
	}
	if (argc - optind != 0)
		return cli_usage_error(me, "unexpected argument");
	return agent_find_check(&l->f);
}

/* The tag list's text line ends with: the verdicts a clerk must act on or answer for. */
static const char *verdict_tag(const json_t *row)
{
	const char *v = json_string_value(json_object_get(row, "verdict"));

	if (v && !strcmp(v, "overdue"))
		return "  [overdue]";
	if (v && !strcmp(v, "late"))
		return "  [late]";
	return "";
}

static int cmd_list(cli *c, int argc, char **argv)
{
	struct lopts l;
	agent *a = NULL;
	json_t *list = NULL, *row;
	size_t i;
	int rc;

	if ((rc = parse_list(cli_find("list"), argc, argv, &l)) ||
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
		goto done;
	if ((rc = agent_find_list(a, &l.f, &list)))
		goto done;
	if (l.json) {
		cli_print_json(list);
		goto done;
	}
	json_array_foreach(list, i, row)
	{
		printf("%-28s %2lld  %-25s %-8s %s%s\n", cli_text(row, "code", "-"),
		       (long long)json_integer_value(json_object_get(row, "status")),
		       cli_text(row, "due_at", "-"), cli_text(row, "sync", "-"),
		       cli_text(row, "applicant", "-"), verdict_tag(row));
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
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
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
/* DS_EINVALID naming the first row that differs from the replay, else 0. */
static int rows_verdict(const json_t *bad)
{
	if (json_array_size(bad) == 0)
		return 0;
	return ds_error_set(DS_EINVALID,
	                    "%zu dossier row%s differ%s from the replay of the journal and inbox "
	                    "(first: %s)",
	                    json_array_size(bad), json_array_size(bad) == 1 ? "" : "s",
	                    json_array_size(bad) == 1 ? "s" : "",
	                    json_string_value(json_array_get(bad, 0)));
}

static int report_rows(const json_t *bad)
{
	const json_t *line;
	size_t i;

	json_array_foreach(bad, i, line) printf("%s\n", json_string_value(line));
	if (json_array_size(bad) == 0)
		printf("dossier rows agree with the replay of the journal and inbox\n");
	return rows_verdict(bad);
}

/* verify --json: what each check found; error is the line the exit code goes with. */
static void verify_json(int rc, int64_t n, const json_t *bad, const char *note)
{
	json_t *o =
	    json_pack("{s:b,s:o,s:O,s:o,s:o}", "ok", rc == 0, "journal_entries",
	              n > 0 || rc == 0 ? json_integer(n) : json_null(), "rows_differ",
	              bad ? bad : json_null(), "history", note ? json_string(note) : json_null(),
	              "error", rc ? json_string(ds_error_msg()) : json_null());

	cli_print_json(o);
	json_decref(o);
}

/* Writes nothing but the history catch-up the last sync left (history.git and its marks),
 * and that only once the journal and the rows check out. */
static int cmd_verify(cli *c, int argc, char **argv)
{
	json_t *bad = NULL, *states = NULL;
	const char *note = NULL;
	struct qopts q;
	agent *a = NULL;
	int64_t n = 0;
	int rc;

	if ((rc = agent_cli_take_progress(c, cli_find("verify"), &argc, argv)) ||
	    (rc = parse_q(cli_find("verify"), argc, argv, &q, 0)) ||
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
		return rc;
	rc = agent_verify_journal(a, &n);
	if (!rc && !q.json)
		printf("journal intact: %lld entries, hash chain verified\n", (long long)n);
	if (!rc && !(rc = agent_verify_rows(a, &bad, &states)))
		rc = q.json ? rows_verdict(bad) : report_rows(bad);
	if (!rc)
		agent_history_ready(a); /* on failure: warned, and the note says behind */
	if (!rc && !(rc = agent_history_check(a, states, &note)) && !q.json)
		printf("%s\n", note);
	if (q.json)
		verify_json(rc, n, bad, note);
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

/* The attachment backlog line (agent_attach_backlog). */
static void attach_text(const json_t *b)
{
	const json_t *eta = json_object_get(b, "eta_s"), *age = json_object_get(b, "oldest_age_s");

	printf("attachments %lld files, %lld bytes to send",
	       (long long)json_integer_value(json_object_get(b, "files")),
	       (long long)json_integer_value(json_object_get(b, "bytes")));
	if (json_is_integer(age))
		printf(", oldest %lld s old", (long long)json_integer_value(age));
	if (json_integer_value(json_object_get(b, "files")) && json_is_integer(eta))
		printf(", about %lld s at %lld bytes/s", (long long)json_integer_value(eta),
		       (long long)json_integer_value(json_object_get(b, "rate_bps")));
	const json_t *r;
	size_t i;

	if (json_integer_value(json_object_get(b, "refused")))
		printf(", %lld refused by central",
		       (long long)json_integer_value(json_object_get(b, "refused")));
	printf("\n");
	json_array_foreach(json_object_get(b, "refusals"), i, r)
	    printf("  refused   %.12s (%s): %s\n", json_string_value(json_object_get(r, "sha256")),
	           json_string_value(json_object_get(r, "code")),
	           json_string_value(json_object_get(r, "error")));
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
	printf("pending     %lld ops",
	       (long long)json_integer_value(json_object_get(s, "pending_ops")));
	if (json_is_integer(age))
		printf(", oldest %lld s old", (long long)json_integer_value(age));
	printf("\nrejected    %lld ops\nconflicts   %lld open\n",
	       (long long)json_integer_value(json_object_get(s, "rejected_ops")),
	       (long long)json_integer_value(json_object_get(s, "open_conflicts")));
	printf("last sync   %s\n", cli_text(s, "last_sync_at", "never"));
	if (json_is_string(json_object_get(s, "last_success_at")))
		printf("last ok     %s\n",
		       json_string_value(json_object_get(s, "last_success_at")));
	if (json_is_string(json_object_get(s, "last_error")))
		printf("last error  %s\n", json_string_value(json_object_get(s, "last_error")));
	if (json_integer_value(json_object_get(s, "history_behind")) > 0)
		printf("history     %lld changes behind (caught up by the daemon, log, verify, "
		       "sync --history)\n",
		       (long long)json_integer_value(json_object_get(s, "history_behind")));
	else
		printf("history     caught up with the last sync\n");
	attach_text(json_object_get(s, "attachments"));
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
	    (rc = agent_cli_open(c, AGENT_READ, &a)))
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
     "Prints one dossier: received, due (and the first due date when it moved), finished,\n"
     "returned, and whether it is on time or late in plain words. --json prints its\n"
     "canonical JSON plus version, sync, verdict (on_time, late, in_time, overdue, none)\n"
     "and, where they apply, late_by_s and supplement_requests.\n"},
    {"list", cmd_list,
     "list [--search TEXT] [--status N] [--late] [--overdue] [--due-within DAYS]\n"
     "     [--received-from DATE] [--received-to DATE] [--pending] [--limit N]\n"
     "     [--offset N] [--json]\n"
     "Lists dossiers in code order: code, status, due date, sync state, applicant, and\n"
     "[overdue] or [late]. The filters combine (all must hold):\n"
     "  --search TEXT          a piece of the code, the applicant's or representative's\n"
     "                         name (case and diacritics ignored), CCCD or phone; at least\n"
     "                         3 characters, matched as one piece\n"
     "  --status N             in status N (1-10)\n"
     "  --late                 ended (9, 10) late by the 766 rule\n"
     "  --overdue              not ended and past the due date\n"
     "  --due-within DAYS      not ended, not overdue, due by the end of the day DAYS\n"
     "                         days from today (0: today)\n"
     "  --received-from DATE   received on or after DATE (YYYY-MM-DD, +07:00)\n"
     "  --received-to DATE     received on or before DATE\n"
     "  --pending              with a change not yet pushed to central\n"
     "  --limit N, --offset N  N rows at most, after skipping the first N\n"},
    {"journal", cmd_journal,
     "journal [--since SEQ] [--json]\n"
     "Prints journal entries after SEQ: every change, who made it, when, its hash.\n"},
    {"verify", cmd_verify,
     "verify [--json] [--progress=MODE]\n"
     "Walks the journal's hash chain, checks every dossier row against the replay of the\n"
     "journal and the inbox (one line per row that differs, naming the first differing\n"
     "field), and history.git against that replay when it is caught up. When journal and\n"
     "rows are intact it first catches history.git up with the last sync; it writes\n"
     "nothing else. Exits 0 only when all is intact, else 65. --json prints {ok,\n"
     "journal_entries, rows_differ, history, error}.\n"
     "Progress (done/total, rate, ETA) is one line on stderr at a terminal; --progress=json\n"
     "sends it as JSON events on stderr, --progress=none turns it off.\n"},
    {"status", cmd_status,
     "status [--json]\n"
     "Pending ops and the age of the oldest, rejected ops, open conflicts, last sync, and\n"
     "how far history.git is behind the rounds (history_behind).\n"},
    {NULL, NULL, NULL},
};
