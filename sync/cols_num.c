/* cols_num.c: the numbered-text form of a column (docs/PROTOCOL.md "Columns", "x"): text
 * with the same count of digit runs in every value ("000.00.12.H22-251129-0007",
 * "xa1:12", "Số 271, đường Lê Lợi") is sent as its text around the runs (a dictionary of
 * templates and an index per row) and each run as the difference from the same run of the
 * row before, which deflates to almost nothing when the numbers count up. */
#include "sync/cols_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 16   /* digit runs in one value */
#define MAX_DIGITS 18 /* digits in one run: below 10^18, an int64 */
#define W_MADE 96     /* what a built string costs beyond its text (budget.c) */
static const int64_t LIMIT = 1000000000000000000; /* 10^18 */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The digit runs of s[0..n): their values and widths; -1 past MAX_RUNS runs or
 * MAX_DIGITS digits in one. */
static int runs_of(const char *s, size_t n, int64_t *num, unsigned char *wid)
{
	size_t i = 0, start;
	int k = 0;

	while (i < n) {
		if (!is_digit(s[i])) {
			i++;
			continue;
		}
		if (k == MAX_RUNS)
			return -1;
		for (start = i, num[k] = 0; i < n && is_digit(s[i]); i++) {
			if (i - start == MAX_DIGITS)
				return -1; /* before num[k] could overflow */
			num[k] = num[k] * 10 + (s[i] - '0');
		}
		wid[k++] = (unsigned char)(i - start);
	}
	return k;
}

/* The text of s[0..n) around its digit runs, as a JSON array of runs + 1 strings. */
static json_t *template_of(const char *s, size_t n)
{
	json_t *t = json_array();
	size_t i = 0, from = 0;

	for (;;) {
		while (i < n && !is_digit(s[i]))
			i++;
		json_array_append_new(t, json_stringn_nocheck(s + from, i - from));
		if (i == n)
			return t;
		while (i < n && is_digit(s[i]))
			i++;
		from = i;
	}
}

/* Digits of |v| (0 for 0): what a delta costs once deflated, roughly. */
static size_t cost(int64_t v)
{
	size_t c = 0;

	for (v = v < 0 ? -v : v; v; v /= 10)
		c++;
	return c;
}

/* One row's delta as sent: a number, or [delta, width] when the run has leading zeros. */
static json_t *delta_json(int64_t delta, unsigned width, int64_t value)
{
	json_t *pair;

	if (width == 1 || cost(value) == width)
		return json_integer(delta);
	pair = json_array(); /* not json_pack: a phone number's column makes one per row */
	json_array_append_new(pair, json_integer(delta));
	json_array_append_new(pair, json_integer((json_int_t)width));
	return pair;
}

/* Appends "<n>:" to key (this runs for every text value of a column). */
static void put_len(ds_buf *key, size_t n)
{
	ds_buf_add_uint(key, n);
	ds_buf_add(key, ":", 1);
}

/* The lookup key of s[0..n)'s template: the text around its digit runs, each part as
 * "<length>:<bytes>" (unambiguous whatever the text holds). */
static void template_key(const char *s, size_t n, ds_buf *key)
{
	size_t i = 0, from = 0;

	key->len = 0;
	for (;;) {
		while (i < n && !is_digit(s[i]))
			i++;
		put_len(key, i - from);
		ds_buf_add(key, s + from, i - from);
		if (i == n)
			return;
		while (i < n && is_digit(s[i]))
			i++;
		from = i;
	}
}

/* The template key and the template of a text value, for cols_dict. */
static void template_key_of(const json_t *v, ds_buf *key)
{
	template_key(json_string_value(v), json_string_length(v), key);
}

static json_t *template_of_value(const json_t *v)
{
	return template_of(json_string_value(v), json_string_length(v));
}

/* The templates and their indexes of vals into col ("x", "i"); -1 when more than half of
 * the values have a template of their own. */
static int templates(json_t *col, const json_t *vals)
{
	return cols_dict(col, "x", vals, template_key_of, template_of_value);
}

/* The runs of every value (all strings with the same count k of runs, 1 to MAX_RUNS) into
 * num and wid, k values a row; the count of runs, or -1. */
static int all_runs(const json_t *vals, int64_t *num, unsigned char *wid)
{
	int k = -1, r;
	size_t i;
	json_t *v;

	json_array_foreach(vals, i, v)
	{
		if (!json_is_string(v))
			return -1;
		r = runs_of(json_string_value(v), json_string_length(v), num + i * MAX_RUNS,
		            wid + i * MAX_RUNS);
		if (r < 1 || (k >= 0 && r != k))
			return -1;
		k = r;
	}
	return k;
}

/* "n": per run, each row's delta from the row before (the first from 0); NULL when the
 * deltas would cost more than half the digits they replace. */
static json_t *deltas(const int64_t *num, const unsigned char *wid, size_t rows, int k)
{
	json_t *n, *run;
	size_t i, spent = 0, digits = 0;
	int j;

	for (i = 0; i < rows * MAX_RUNS; i++) {
		spent += cost(num[i] - (i >= MAX_RUNS ? num[i - MAX_RUNS] : 0));
		digits += wid[i];
	}
	if (spent * 2 > digits)
		return NULL;
	n = json_array();
	for (j = 0; j < k; j++) {
		json_array_append_new(n, run = json_array());
		for (i = 0; i < rows; i++) {
			int64_t v = num[i * MAX_RUNS + j],
			        d = v - (i ? num[(i - 1) * MAX_RUNS + j] : 0);

			json_array_append_new(run, delta_json(d, wid[i * MAX_RUNS + j], v));
		}
	}
	return n;
}

int cols_num_pack(json_t *col, const json_t *vals)
{
	const char *first = json_string_value(json_array_get(vals, 0));
	size_t rows = json_array_size(vals);
	int64_t *num;
	unsigned char *wid;
	json_t *n = NULL;
	int k, rc = -1;

	if (!first || !first[strcspn(first, "0123456789")])
		return -1; /* not text, or no digits: not worth the arrays below */
	num = ds_calloc(rows * MAX_RUNS, sizeof(*num));
	wid = ds_calloc(rows * MAX_RUNS, 1);
	if ((k = all_runs(vals, num, wid)) > 0 && (n = deltas(num, wid, rows, k)) &&
	    templates(col, vals) == 0) {
		json_object_set_new(col, "n", n);
		n = NULL;
		rc = 0;
	}
	json_decref(n);
	free(num);
	free(wid);
	return rc;
}

/* ---------------------------------------------------------------- decoding */

/* Run j of row i: its delta d (and width w, 0 when the run has no leading zeros); -1 when
 * malformed. */
static int delta_get(const json_t *e, int64_t *d, int *w)
{
	*w = 0;
	if (json_is_array(e) && json_array_size(e) == 2) {
		const json_t *wj = json_array_get(e, 1);

		if (!json_is_integer(wj) || json_integer_value(wj) < 2 ||
		    json_integer_value(wj) > MAX_DIGITS)
			return -1;
		*w = (int)json_integer_value(wj);
		e = json_array_get(e, 0);
	}
	if (!json_is_integer(e) || json_integer_value(e) <= -LIMIT ||
	    json_integer_value(e) >= LIMIT)
		return -1;
	*d = json_integer_value(e);
	return 0;
}

/* Checks the members x, i and n against rows; *k gets the count of runs. */
static int num_shape(const json_t *col, size_t ci, size_t rows, int *k)
{
	const json_t *x = json_object_get(col, "x"), *n = json_object_get(col, "n"), *t, *p;
	size_t a, b;

	if (!json_is_array(x) || !json_is_array(n) || json_array_size(n) < 1 ||
	    json_array_size(n) > MAX_RUNS || json_array_size(json_object_get(col, "i")) != rows)
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].x must be an array, .i an array of %zu "
		                    "indexes and .n an array of 1 to %d runs",
		                    ci, rows, MAX_RUNS);
	*k = (int)json_array_size(n);
	json_array_foreach(n, a,
	                   t) if (!json_is_array(t) ||
	                          json_array_size(t) !=
	                              rows) return ds_error_set(DS_EINVALID,
	                                                        "columns: cols[%zu].n[%zu] must be "
	                                                        "an array of %zu deltas",
	                                                        ci, a, rows);
	json_array_foreach(x, a, t)
	{
		if (!json_is_array(t) || json_array_size(t) != (size_t)*k + 1)
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu].x[%zu] must be %d texts", ci, a,
			                    *k + 1);
		json_array_foreach(t, b, p) if (!json_is_string(p)) return ds_error_set(
		    DS_EINVALID, "columns: cols[%zu].x[%zu][%zu] is not text", ci, a, b);
	}
	return 0;
}

/* Appends value v as w digits (at least its own) to out; -1 when w is too small. */
static int put_number(ds_buf *out, int64_t v, int w)
{
	char d[MAX_DIGITS + 1];
	int i = MAX_DIGITS;

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	if (w && MAX_DIGITS - i > w)
		return -1;
	while (w && MAX_DIGITS - i < w)
		d[--i] = '0';
	return ds_buf_add(out, d + i, (size_t)(MAX_DIGITS - i));
}

/* Row i's text: template t with its k runs, each the run of the row before plus its
 * delta; -1 when a delta is malformed or leaves 0 to 10^18. */
static int num_row(const json_t *t, const json_t *n, size_t i, int64_t *prev, ds_buf *out)
{
	const json_t *p;
	int64_t d;
	int j, w;

	out->len = 0;
	for (j = 0; j < (int)json_array_size(n); j++) {
		p = json_array_get(t, (size_t)j);
		if (delta_get(json_array_get(json_array_get(n, (size_t)j), i), &d, &w) ||
		    prev[j] + d < 0 || prev[j] + d >= LIMIT)
			return -1;
		prev[j] += d;
		if (ds_buf_add(out, json_string_value(p), json_string_length(p)) ||
		    put_number(out, prev[j], w))
			return -1;
	}
	p = json_array_get(t, (size_t)j);
	return ds_buf_add(out, json_string_value(p), json_string_length(p)) ? -1 : 0;
}

int cols_num_unpack(const json_t *col, size_t ci, size_t rows, size_t *made, size_t max,
                    json_t *vals)
{
	const json_t *x = json_object_get(col, "x"), *ix = json_object_get(col, "i");
	int64_t prev[MAX_RUNS] = {0};
	ds_buf text = DS_BUF_INIT;
	size_t i;
	int k = 0, rc;

	if ((rc = num_shape(col, ci, rows, &k)))
		return rc;
	for (i = 0; i < rows && !rc; i++) {
		const json_t *at = json_array_get(ix, i);
		json_int_t t = json_is_integer(at) ? json_integer_value(at) : -1;

		if (t < 0 || (uint64_t)t >= json_array_size(x))
			rc = ds_error_set(
			    DS_EINVALID, "columns: cols[%zu].i[%zu] is not an index into x", ci, i);
		else if (num_row(json_array_get(x, (size_t)t), json_object_get(col, "n"), i, prev,
		                 &text))
			rc = ds_error_set(
			    DS_EINVALID,
			    "columns: cols[%zu].n: row %zu's numbers must stay within 0 "
			    "to 10^18 and fit their widths",
			    ci, i);
		else if (!(rc = cols_made_add(made, W_MADE + text.len, max)))
			json_array_append_new(
			    vals, json_stringn_nocheck(text.ptr ? text.ptr : "", text.len));
	}
	ds_buf_release(&text);
	return rc;
}
