/* cols_pack.c: the value forms of a column (docs/PROTOCOL.md "Columns"). The encoder lays
 * out a column's values in the smallest form that holds them exactly: times as one time and
 * deltas in seconds ("t"), repeated values once in a dictionary with an index per row ("d",
 * "i"), short text of one width as one string ("w", "s"), else as they are ("v"). The
 * decoder checks each form and gives the values back, by reference where it can. */
#include "sync/cols_int.h"

#include <stdlib.h>
#include <string.h>

#define TIME_LEN 25           /* "2025-11-29T08:01:02+07:00" */
#define MIN_SECS -62135596800 /* 0001-01-01T00:00:00 */
#define MAX_SECS 253402300799 /* 9999-12-31T23:59:59 */
#define MAX_WIDTH 64          /* the widest fixed-width text */
#define W_MADE 96             /* what a built string costs beyond its text (budget.c) */

/* Writes v (0 <= v < 10^n) as n digits. */
static void put_digits(char *out, int64_t v, int n)
{
	while (n--) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Writes secs (MIN_SECS..MAX_SECS) and the offset off ("+07:00") as a time into out. */
static void time_format(int64_t secs, const char *off, char out[TIME_LEN + 1])
{
	int64_t s = secs - (secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400)) * 86400;
	int y, m, d;

	ds_time_date(secs, 0, &y, &m, &d);
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, s / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, s / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, s % 60, 2);
	memcpy(out + 19, off, 6);
	out[TIME_LEN] = '\0';
}

/* The digits s[0..n) as a number; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* 0 when v is a time "YYYY-MM-DDTHH:MM:SS+HH:MM" that writes back the same; *secs its
 * wall-clock seconds (the offset is kept apart, in v's last six bytes). */
static int time_parse(const json_t *v, int64_t *secs)
{
	const char *s = json_string_value(v);
	char back[TIME_LEN + 1];
	int y, mo, d, h, mi, se;

	if (!s || json_string_length(v) != TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || (s[19] != '+' && s[19] != '-') || s[22] != ':' ||
	    digits(s + 20, 2) < 0 || digits(s + 23, 2) < 0)
		return -1;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    se < 0 || se > 59)
		return -1;
	*secs = ds_time_day_number(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	time_format(*secs, s + 19, back);
	return memcmp(back, s, TIME_LEN) ? -1 : 0; /* 31 February does not write back */
}

/* ---------------------------------------------------------------- encoding */

/* "t": [first time, then each time's seconds after the one before]; NULL unless every
 * value is a time with the first one's offset. */
static json_t *as_times(const json_t *vals)
{
	json_t *t, *v;
	int64_t prev = 0, secs;
	size_t i;

	t = json_array();
	json_array_foreach(vals, i, v)
	{
		if (time_parse(v, &secs) ||
		    memcmp(json_string_value(v) + 19,
		           json_string_value(json_array_get(vals, 0)) + 19, 6)) {
			json_decref(t);
			return NULL;
		}
		json_array_append_new(t, i ? json_integer(secs - prev) : json_incref(v));
		prev = secs;
	}
	return t;
}

/* The dictionary key of v into key: "s" and its text for a string, a letter for true,
 * false and null, "i" and its digits for an integer, else "j" and its JSON (no allocation
 * but for lists, objects and reals). */
static void dict_key(const json_t *v, ds_buf *key)
{
	char num[24], *text;
	json_int_t x;
	size_t i = sizeof(num);

	key->len = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		ds_buf_add(key, "s", 1);
		ds_buf_add(key, json_string_value(v), json_string_length(v));
		return;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		ds_buf_add(key, json_is_true(v) ? "t" : json_is_false(v) ? "f" : "n", 1);
		return;
	case JSON_INTEGER:
		x = json_integer_value(v);
		do
			num[--i] = (char)('0' + (x < 0 ? -(x % 10) : x % 10));
		while ((x /= 10));
		if (json_integer_value(v) < 0)
			num[--i] = '-';
		num[--i] = 'i';
		ds_buf_add(key, num + i, sizeof(num) - i);
		return;
	default:
		text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		ds_buf_add(key, "j", 1);
		ds_buf_puts(key, text ? text : "");
		free(text);
	}
}

int cols_dict(json_t *col, const char *name, const json_t *vals,
              void (*key_of)(const json_t *v, ds_buf *key), json_t *(*entry_of)(const json_t *v))
{
	json_t *index = json_object(), *d = json_array(), *ix = json_array(), *v, *at;
	ds_buf key = DS_BUF_INIT;
	size_t i, n = json_array_size(vals);

	json_array_foreach(vals, i, v)
	{
		key_of(v, &key);
		if (!(at = json_object_getn(index, key.ptr, key.len))) {
			at = json_integer((json_int_t)json_array_size(d));
			json_object_setn_nocheck(index, key.ptr, key.len, at);
			json_array_append_new(d, entry_of(v));
			json_decref(at);
		}
		if (json_array_size(d) * 2 > n)
			break;
		json_array_append(ix, at);
	}
	ds_buf_release(&key);
	json_decref(index);
	if (i < n) {
		json_decref(d);
		json_decref(ix);
		return -1;
	}
	json_object_set_new(col, name, d);
	json_object_set_new(col, "i", ix);
	return 0;
}

/* A dictionary entry: the value itself. */
static json_t *same_value(const json_t *v)
{
	return json_incref((json_t *)v);
}

/* "s": the values, all text of one width (1 to MAX_WIDTH bytes of printable ASCII),
 * one after the other; NULL when they are not. *w gets the width. */
static json_t *as_fixed(const json_t *vals, size_t *w)
{
	ds_buf s = DS_BUF_INIT;
	json_t *v, *out;
	size_t i, k;

	*w = json_string_length(json_array_get(vals, 0));
	json_array_foreach(vals, i, v)
	{
		const char *p = json_string_value(v);

		if (!p || json_string_length(v) != *w || !*w || *w > MAX_WIDTH)
			break;
		for (k = 0; k < *w && p[k] >= 0x20 && p[k] <= 0x7e; k++)
			;
		if (k < *w)
			break;
		ds_buf_add(&s, p, *w);
	}
	out = i == json_array_size(vals) ? json_stringn_nocheck(s.ptr, s.len) : NULL;
	ds_buf_release(&s);
	return out;
}

void cols_pack(json_t *col, json_t *vals)
{
	json_t *form = NULL;
	size_t w = 0;

	if (json_array_size(vals) < 2) {
		json_object_set_new(col, "v", vals);
		return;
	}
	if ((form = as_times(vals)))
		json_object_set_new(col, "t", form);
	else if (cols_dict(col, "d", vals, dict_key, same_value) == 0 ||
	         cols_num_pack(col, vals) == 0)
		;
	else if ((form = as_fixed(vals, &w))) {
		json_object_set_new(col, "w", json_integer((json_int_t)w));
		json_object_set_new(col, "s", form);
	} else {
		json_object_set(col, "v", vals);
	}
	json_decref(vals);
}

/* ---------------------------------------------------------------- decoding */

/* The members each form has beside "p" and "r"; the first one decides the form, the
 * second holds one entry per row (NULL: the first does). */
static const char *const forms[][3] = {
    {"v", NULL, NULL}, {"d", "i", NULL}, {"t", NULL, NULL}, {"w", "s", NULL}, {"x", "i", "n"}};

int cols_form_check(const json_t *col, size_t ci, size_t rows)
{
	const json_t *per_row;
	size_t f, m, members;
	int all;

	for (f = 0; f < DS_ARRAY_LEN(forms); f++) {
		if (!json_object_get(col, forms[f][0]))
			continue;
		for (all = 1, members = 2, m = 0; m < 3 && forms[f][m]; m++, members++)
			all &= json_object_get(col, forms[f][m]) != NULL;
		if (!all || json_object_size(col) != members)
			break;
		if (f == 3 || f == 4)
			return 0; /* checked as they are read */
		per_row = json_object_get(col, forms[f][f == 1]);
		if (!json_is_array(per_row) ||
		    (f == 1 && !json_is_array(json_object_get(col, "d"))))
			return ds_error_set(DS_EINVALID, "columns: cols[%zu].%s must be an array",
			                    ci, forms[f][f == 1]);
		if (json_array_size(per_row) != rows)
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu] has %zu rows in r but %zu in %s",
			                    ci, rows, json_array_size(per_row), forms[f][f == 1]);
		return 0;
	}
	return ds_error_set(DS_EINVALID,
	                    "columns: cols[%zu] must have p, r and exactly one of v, d and i, t, "
	                    "w and s, x and i and n",
	                    ci);
}

int cols_made_add(size_t *made, size_t n, size_t max)
{
	if (n > max || *made > max - n)
		return ds_error_set(DS_ETOOBIG,
		                    "columns: the values would take more than %zu bytes", max);
	*made += n;
	return 0;
}

/* What v costs in memory, estimated as budget.c weighs its text. */
static size_t weight(const json_t *v)
{
	const char *key;
	size_t i, w;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return W_MADE + json_string_length(v);
	case JSON_ARRAY:
		w = 160;
		json_array_foreach(v, i, e) w += 16 + weight(e);
		return w;
	case JSON_OBJECT:
		w = 256;
		json_object_foreach((json_t *)v, key, e) w += 16 + W_MADE + strlen(key) + weight(e);
		return w;
	default:
		return 48;
	}
}

/* The values d[i[j]]: each dictionary value by reference the first time, then as a copy,
 * so that every record's values are its own once the document is gone (a copy counts
 * against the budget of built values). */
static int from_dict(const json_t *col, size_t ci, size_t *made, size_t max, json_t *vals)
{
	const json_t *d = json_object_get(col, "d"), *ix = json_object_get(col, "i"), *k;
	unsigned char *used = ds_calloc(json_array_size(d) + 1, 1);
	size_t j;
	int rc = 0;

	json_array_foreach(ix, j, k)
	{
		json_int_t at = json_is_integer(k) ? json_integer_value(k) : -1;
		json_t *v;

		if (at < 0 || (uint64_t)at >= json_array_size(d)) {
			rc = ds_error_set(DS_EINVALID,
			                  "columns: cols[%zu].i[%zu] is not an index into d (%zu "
			                  "values)",
			                  ci, j, json_array_size(d));
			break;
		}
		v = json_array_get(d, (size_t)at);
		if (used[at] && (rc = cols_made_add(made, weight(v), max)))
			break;
		json_array_append_new(vals, used[at] ? json_deep_copy(v) : json_incref(v));
		used[at] = 1;
	}
	free(used);
	return rc;
}

static int from_times(const json_t *col, size_t ci, size_t *made, size_t max, json_t *vals)
{
	const json_t *t = json_object_get(col, "t"), *k;
	const char *off = json_string_value(json_array_get(t, 0));
	char text[TIME_LEN + 1];
	int64_t secs = 0;
	size_t j;
	int rc;

	if (time_parse(json_array_get(t, 0), &secs))
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].t[0] must be a time "
		                    "YYYY-MM-DDTHH:MM:SS+HH:MM",
		                    ci);
	json_array_append(vals, json_array_get(t, 0));
	for (j = 1; j < json_array_size(t); j++) {
		k = json_array_get(t, j);
		if (!json_is_integer(k) || json_integer_value(k) < MIN_SECS - MAX_SECS ||
		    json_integer_value(k) > MAX_SECS - MIN_SECS ||
		    secs + json_integer_value(k) < MIN_SECS ||
		    secs + json_integer_value(k) > MAX_SECS)
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu].t[%zu] must be a number of seconds "
			                    "that keeps the time within the years 1 to 9999",
			                    ci, j);
		if ((rc = cols_made_add(made, W_MADE + TIME_LEN, max)))
			return rc;
		secs += json_integer_value(k);
		time_format(secs, off + 19, text);
		json_array_append_new(vals, json_stringn_nocheck(text, TIME_LEN));
	}
	return 0;
}

static int from_fixed(const json_t *col, size_t ci, size_t rows, size_t *made, size_t max,
                      json_t *vals)
{
	const json_t *w = json_object_get(col, "w"), *s = json_object_get(col, "s");
	const char *p = json_string_value(s);
	size_t width, j;
	int rc;

	if (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > MAX_WIDTH)
		return ds_error_set(DS_EINVALID, "columns: cols[%zu].w must be 1 to %d", ci,
		                    MAX_WIDTH);
	width = (size_t)json_integer_value(w);
	if (!p || json_string_length(s) != width * rows)
		return ds_error_set(DS_EINVALID, "columns: cols[%zu].s must be text of %zu bytes",
		                    ci, width * rows);
	for (j = 0; j < width * rows; j++)
		if (p[j] < 0x20 || p[j] > 0x7e)
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu].s must be printable ASCII", ci);
	for (j = 0; j < rows; j++) {
		if ((rc = cols_made_add(made, W_MADE + width, max)))
			return rc;
		json_array_append_new(vals, json_stringn_nocheck(p + j * width, width));
	}
	return 0;
}

int cols_unpack(const json_t *col, size_t ci, size_t *made, size_t max_made, json_t **vals)
{
	size_t rows = json_array_size(json_object_get(col, "r"));
	int rc = 0;

	*vals = NULL;
	if (json_object_get(col, "v")) {
		*vals = json_incref(json_object_get(col, "v"));
		return 0;
	}
	*vals = json_array();
	if (json_object_get(col, "d"))
		rc = from_dict(col, ci, made, max_made, *vals);
	else if (json_object_get(col, "x"))
		rc = cols_num_unpack(col, ci, rows, made, max_made, *vals);
	else if (json_object_get(col, "t"))
		rc = rows ? from_times(col, ci, made, max_made, *vals) : 0;
	else
		rc = from_fixed(col, ci, rows, made, max_made, *vals);
	if (rc) {
		json_decref(*vals);
		*vals = NULL;
	}
	return rc;
}

int cols_flat_array(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || !json_array_size(v))
		return 0;
	json_array_foreach(v, i, e) if (!json_is_object(e) || !json_object_size(e)) return 0;
	return 1;
}
