/* test_progress.c: units for the progress reporter (base.h "progress"): the modes a
 * --progress value selects, the JSON events an app reads (begin, progress with rate and
 * ETA, end with the count and elapsed time), the terminal line redrawn in place and
 * wiped at the end, and silence with mode none or no reporter at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/base.h"

/* Everything written to f so far, as a NUL-terminated string (free it). */
static char *written(FILE *f)
{
	long n = ftell(f);
	char *s = calloc(1, (size_t)n + 1);

	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_modes(void **state)
{
	FILE *f = tmpfile();
	int mode = -1;

	(void)state;
	assert_int_equal(ds_progress_mode("auto", f, &mode), 0);
	assert_int_equal(mode, DS_PROGRESS_NONE); /* a file is not a terminal */
	assert_int_equal(ds_progress_mode("line", f, &mode), 0);
	assert_int_equal(mode, DS_PROGRESS_LINE);
	assert_int_equal(ds_progress_mode("json", f, &mode), 0);
	assert_int_equal(mode, DS_PROGRESS_JSON);
	assert_int_equal(ds_progress_mode("none", f, &mode), 0);
	assert_int_equal(mode, DS_PROGRESS_NONE);
	assert_int_equal(ds_progress_mode("yes", f, &mode), DS_EUSAGE);
	assert_non_null(strstr(ds_error_msg(), "'yes'"));
	fclose(f);
}

/* Parses line i (0-based) of text as a JSON object. */
static json_t *event(const char *text, int i)
{
	const char *p = text, *nl;
	json_t *e;

	while (i-- > 0)
		p = strchr(p, '\n') + 1;
	nl = strchr(p, '\n');
	assert_non_null(nl);
	e = json_loadb(p, (size_t)(nl - p), 0, NULL);
	assert_non_null(e);
	return e;
}

static void test_json_events(void **state)
{
	FILE *f = tmpfile();
	ds_progress p;
	json_t *e;
	char *text;

	(void)state;
	ds_progress_init(&p, f, DS_PROGRESS_JSON);
	ds_progress_begin(&p, "import", 10);
	ds_progress_add(&p, 1); /* too soon after begin: not sent */
	pause_ms(600);
	ds_progress_add(&p, 3);
	ds_progress_add(&p, 6); /* too soon after the last one */
	ds_progress_end(&p);
	text = written(f);
	e = event(text, 0);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "begin");
	assert_string_equal(json_string_value(json_object_get(e, "phase")), "import");
	assert_int_equal(json_integer_value(json_object_get(e, "total")), 10);
	json_decref(e);
	e = event(text, 1);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "progress");
	assert_int_equal(json_integer_value(json_object_get(e, "done")), 4);
	assert_true(json_real_value(json_object_get(e, "rate")) > 0.0);
	assert_true(json_real_value(json_object_get(e, "eta_s")) > 0.0);
	json_decref(e);
	e = event(text, 2);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "end");
	assert_int_equal(json_integer_value(json_object_get(e, "done")), 10);
	assert_true(json_real_value(json_object_get(e, "elapsed_s")) >= 0.6);
	json_decref(e);
	assert_null(strchr(strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n') + 1, '\n'));
	free(text);
	fclose(f);
}

static void test_line(void **state)
{
	FILE *f = tmpfile();
	ds_progress p;
	char *text;

	(void)state;
	ds_progress_init(&p, f, DS_PROGRESS_LINE);
	ds_progress_begin(&p, "push", 200);
	pause_ms(150);
	ds_progress_add(&p, 50);
	ds_progress_begin(&p, "pull", 0); /* a new phase ends the one before */
	pause_ms(150);
	ds_progress_add(&p, 7);
	ds_progress_end(&p);
	text = written(f);
	assert_null(strchr(text, '\n')); /* one line, redrawn */
	assert_non_null(strstr(text, "\rpush  0/200  0%\033[K"));
	assert_non_null(strstr(text, "\rpush  50/200  25%  "));
	assert_non_null(strstr(text, "/s  ETA 0:0"));
	assert_non_null(strstr(text, "\rpull  7  "));
	assert_int_equal(strncmp(text + strlen(text) - 4, "\r\033[K", 4), 0);
	free(text);
	fclose(f);
}

static void test_silent(void **state)
{
	FILE *f = tmpfile();
	ds_progress p;

	(void)state;
	ds_progress_init(&p, f, DS_PROGRESS_NONE);
	ds_progress_begin(&p, "verify", 3);
	ds_progress_add(&p, 3);
	ds_progress_end(&p);
	assert_int_equal(ftell(f), 0);
	ds_progress_begin(NULL, "verify", 3); /* no reporter: nothing, no crash */
	ds_progress_add(NULL, 1);
	ds_progress_end(NULL);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_json_events),
	    cmocka_unit_test(test_line),
	    cmocka_unit_test(test_silent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
