/* test_cli.c: units for cli/cli.h against a program of two commands: the dispatch (no
 * command, --version, help, help COMMAND, COMMAND --help before and after "--", an
 * unknown command), the exit code of a command's error and the program's hook before
 * its line, the two forms of a usage error, the report options and the helpers. The tests
 * read exit codes, the error message and what the commands saw; what the program prints
 * goes to the test's log. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

struct cli {
	int runs;      /* how many times a command ran */
	char last[32]; /* the name it ran as */
	int argc;      /* its argc */
	int rc;        /* what "fail" returns */
	int cleaned;   /* calls of before_error */
};

static int cmd_ok(cli *c, int argc, char **argv)
{
	c->runs++;
	c->argc = argc;
	snprintf(c->last, sizeof(c->last), "%s", argv[0]);
	return 0;
}

static int cmd_fail(cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	c->runs++;
	if (c->rc == DS_EUSAGE)
		return cli_usage_error(cli_find("fail"), "give %d things", 2);
	if (c->rc == DS_EUSAGE - 100)
		return cli_usage_error(cli_find("fail"), NULL);
	return ds_error_set(c->rc, "it failed");
}

static const cli_command first[] = {{"ok", cmd_ok, "ok [--x]\n  does nothing\n"},
                                    {NULL, NULL, NULL}};
static const cli_command second[] = {{"fail", cmd_fail, "fail A B\n  fails\n"}, {NULL, NULL, NULL}};
static const cli_command *const tables[] = {first, second, NULL};

static int overviews;

static void overview(FILE *f)
{
	(void)f;
	overviews++;
}

static void before_error(cli *c)
{
	c->cleaned++;
}

static const cli_program prog = {"prog", "usage: prog ", "",          "prog ",
                                 tables, overview,       before_error};

/* Splits line at spaces into argv (static storage, NULL after the last word). */
static int split(const char *line, char **argv)
{
	static char buf[256];
	char *w;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (w = strtok(buf, " "); w && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argc;
}

/* cli_main over the words of line. */
static int run(cli *c, const char *line)
{
	char *argv[16];
	int argc = split(line, argv);

	return cli_main(&prog, c, argc, argv);
}

static void test_dispatch(void **state)
{
	cli c = {0};

	(void)state;
	overviews = 0;
	assert_int_equal(run(&c, ""), 64);
	assert_int_equal(run(&c, "--help"), 0);
	assert_int_equal(run(&c, "help"), 0);
	assert_int_equal(run(&c, "-h"), 0);
	assert_int_equal(overviews, 4);
	assert_int_equal(run(&c, "help ok"), 0);
	assert_int_equal(run(&c, "ok --x --help"), 0);
	assert_int_equal(run(&c, "--version"), 0);
	assert_int_equal(c.runs, 0);
	assert_int_equal(run(&c, "ok a -- --help"), 0);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.argc, 4);
	assert_string_equal(c.last, "ok");
	assert_int_equal(run(&c, "frobnicate"), 64);
	assert_string_equal(ds_error_msg(), "unknown command 'frobnicate' (see prog --help)");
	assert_int_equal(c.runs, 1);
	assert_ptr_equal(cli_find("fail"), &second[0]);
	assert_null(cli_find("nope"));
}

static void test_errors(void **state)
{
	cli c = {0};

	(void)state;
	c.rc = DS_EINVALID;
	assert_int_equal(run(&c, "fail"), 65);
	c.rc = DS_ERETRY;
	assert_int_equal(run(&c, "fail"), 75);
	c.rc = DS_EPERM;
	assert_int_equal(run(&c, "fail"), 77);
	c.rc = DS_ERROR;
	assert_int_equal(run(&c, "fail"), 1);
	c.rc = DS_EUSAGE;
	assert_int_equal(run(&c, "fail"), 64);
	assert_string_equal(ds_error_msg(), "give 2 things (usage: prog fail A B)");
	c.rc = DS_EUSAGE - 100; /* the whole usage, without a reason */
	assert_int_equal(run(&c, "fail"), 64);
	assert_string_equal(ds_error_msg(), "usage: fail A B\n  fails\n");
	/* a later error of the one-line form is not shown as a whole usage */
	c.rc = DS_EUSAGE;
	assert_int_equal(run(&c, "fail"), 64);
	assert_string_equal(ds_error_msg(), "give 2 things (usage: prog fail A B)");
	assert_int_equal(c.runs, 7);
	assert_int_equal(c.cleaned, 7); /* before every error line, and only then */
	assert_int_equal(run(&c, "ok"), 0);
	assert_int_equal(c.cleaned, 7);
}

static const char *report(const char *line, cli_report_args *o)
{
	char *argv[16];
	int argc = split(line, argv);

	optind = 0;
	return cli_report_parse(argc, argv, "html", o);
}

static void test_report_args(void **state)
{
	cli_report_args o;

	(void)state;
	assert_null(report("report --from 2026-01-01 --to=2026-01-31 --json --html f", &o));
	assert_string_equal(o.from, "2026-01-01");
	assert_string_equal(o.to, "2026-01-31");
	assert_int_equal(o.json, 1);
	assert_int_equal(o.csv, 0);
	assert_string_equal(o.own, "f");
	assert_null(report("report --csv", &o));
	assert_null(o.from);
	assert_null(o.own);
	assert_int_equal(o.csv, 1);
	assert_string_equal(report("report --office X", &o), "unknown option");
	assert_string_equal(report("report --from", &o), "unknown option");
	assert_string_equal(report("report extra", &o), "unexpected argument");
}

static void test_helpers(void **state)
{
	char *help[] = {"x", "a", "-h", NULL}, *after[] = {"x", "--", "--help", NULL};

	(void)state;
	assert_true(cli_wants_help(3, help));
	assert_false(cli_wants_help(3, after));
	assert_int_equal(cli_number("42"), 42);
	assert_int_equal(cli_number("0"), 0);
	assert_int_equal(cli_number("-1"), -1);
	assert_int_equal(cli_number("4x"), -1);
	assert_int_equal(cli_number(""), -1);
	assert_int_equal(cli_number(NULL), -1);
}

static void test_text(void **state)
{
	json_t *o = json_pack("{s:s, s:i, s:n}", "a", "x", "n", 1, "z");

	(void)state;
	assert_string_equal(cli_text(o, "a", "-"), "x");
	assert_string_equal(cli_text(o, "n", "-"), "-");
	assert_string_equal(cli_text(o, "z", "none"), "none");
	assert_string_equal(cli_text(o, "missing", "never"), "never");
	assert_string_equal(cli_text(NULL, "a", "-"), "-");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dispatch),    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_report_args), cmocka_unit_test(test_helpers),
	    cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
