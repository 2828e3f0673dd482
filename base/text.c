/* text.c: Unicode NFC for text and for every string and key of a JSON value, so that two
 * nodes given the same text typed two ways store the same bytes. Values already in NFC
 * (the common case: ASCII, Latin and precomposed Vietnamese) are kept as they are instead
 * of being copied; the strict form also refuses NUL characters and names bad fields. */
#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define PATH_LEN DS_FIELD_PATH_MAX

int ds_text_nfc(const char *s, char **out)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t n;

	*out = NULL;
	/* Plain ASCII is already NFC: most dossier text (codes, times, numbers) is. */
	for (n = 0; s[n] && !((unsigned char)s[n] & 0x80); n++)
		;
	if (!s[n]) {
		*out = ds_strndup(s, (size_t)n);
		return 0;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &dst,
	                 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return ds_error_set(DS_EINVALID, "text is not valid UTF-8: %s", utf8proc_errmsg(n));
	*out = (char *)dst;
	return 0;
}

/* ---------------------------------------------------------------- search keys */
/* utf8proc's custom mapping for ds_text_fold: đ and Đ have no decomposition, so no mark
 * to strip; they fold to d by hand. */
static utf8proc_int32_t fold_d(utf8proc_int32_t c, void *data)
{
	(void)data;
	return c == 0x0111 || c == 0x0110 ? 'd' : c;
}

/* Collapses white space runs in s (in place) into one space, trimmed at both ends. */
static void squeeze_space(char *s)
{
	char *w = s;
	const char *r;
	int gap = 0;

	for (r = s; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r') {
			gap = w != s;
			continue;
		}
		if (gap)
			*w++ = ' ';
		gap = 0;
		*w++ = *r;
	}
	*w = '\0';
}

int ds_text_fold(const char *s, char **out)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t n;

	*out = NULL;
	n = utf8proc_map_custom((const utf8proc_uint8_t *)s, 0, &dst,
	                        UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	                            UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD | UTF8PROC_LUMP,
	                        fold_d, NULL);
	if (n < 0)
		return ds_error_set(DS_EINVALID, "text is not valid UTF-8: %s", utf8proc_errmsg(n));
	squeeze_space((char *)dst);
	*out = (char *)dst;
	return 0;
}

/* ---------------------------------------------------------------- already NFC */
/* 1 when s holds only ASCII, U+0080-U+02FF and U+1E00-U+1EFF (Latin, with every
 * precomposed Vietnamese letter), well-formed. Those are NFC by themselves, of combining
 * class 0, and never compose with what precedes them (NFC_Quick_Check Yes), so text made
 * of them alone is NFC (UAX #15 section 9); anything else is left to utf8proc. */
static int nfc_latin(const unsigned char *p)
{
	for (; *p; p++) {
		if (*p < 0x80)
			continue;
		if (*p >= 0xC2 && *p <= 0xCB && (p[1] & 0xC0) == 0x80)
			p++;
		else if (*p == 0xE1 && p[1] >= 0xB8 && p[1] <= 0xBB && (p[2] & 0xC0) == 0x80)
			p += 2;
		else
			return 0;
	}
	return 1;
}

/* 1 when s is NFC already; 0 also for invalid UTF-8. */
static int nfc_same(const char *s)
{
	char *out = NULL;
	int same;

	if (nfc_latin((const unsigned char *)s))
		return 1;
	same = ds_text_nfc(s, &out) == 0 && strcmp(out, s) == 0;
	free(out);
	return same;
}

/* 1 when every string and key of v is NFC already and free of NUL; with own set, also
 * no part of v held by anyone else (each refcount 1; true, false and null are shared
 * constants), so keeping v is the same as keeping a fresh copy. */
static int nfc_walk(const json_t *v, int own)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_true(v) || json_is_false(v) || json_is_null(v))
		return 1;
	if (own && v->refcount != 1)
		return 0;
	if (json_is_string(v))
		return strlen(json_string_value(v)) == json_string_length(v) &&
		       nfc_same(json_string_value(v));
	json_array_foreach(v, i, item)
	{
		if (!nfc_walk(item, own))
			return 0;
	}
	json_object_foreach((json_t *)v, key, item)
	{
		if (!nfc_same(key) || !nfc_walk(item, own))
			return 0;
	}
	return 1;
}

static int nfc_already(const json_t *v)
{
	return nfc_walk(v, 1);
}

int ds_json_nfc_is(const json_t *v)
{
	return nfc_walk(v, 0);
}

/* ---------------------------------------------------------------- a normalised copy */
static int nfc_value(const json_t *v, json_t **out)
{
	const char *key;
	json_t *item, *copy;
	size_t i;
	char *s;

	*out = NULL;
	if (json_is_string(v)) {
		if (ds_text_nfc(json_string_value(v), &s))
			return DS_EINVALID;
		*out = json_string(s);
		free(s);
		return *out ? 0 : ds_error_set(DS_EINVALID, "text is not valid UTF-8");
	}
	if (json_is_array(v)) {
		*out = json_array();
		json_array_foreach(v, i, item)
		{
			if (nfc_value(item, &copy))
				goto fail;
			json_array_append_new(*out, copy);
		}
		return 0;
	}
	if (json_is_object(v)) {
		*out = json_object();
		json_object_foreach((json_t *)v, key, item)
		{
			if (ds_text_nfc(key, &s))
				goto fail;
			if (nfc_value(item, &copy)) {
				free(s);
				goto fail;
			}
			json_object_set_new(*out, s, copy);
			free(s);
		}
		return 0;
	}
	*out = json_deep_copy(v);
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	return DS_EINVALID;
}

int ds_json_nfc(json_t **v)
{
	json_t *out;

	if (nfc_already(*v))
		return 0;
	if (nfc_value(*v, &out))
		return DS_EINVALID;
	json_decref(*v);
	*v = out;
	return 0;
}

/* ---------------------------------------------------------------- naming bad text */
void ds_field_pathf(char out[DS_FIELD_PATH_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PATH_LEN, fmt, ap);
	va_end(ap);
}

static int has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int not_utf8(const char *s, size_t n)
{
	char *out = NULL;
	int rc = ds_text_nfc(s, &out);

	(void)n;
	free(out);
	return rc != 0;
}

/* Finds the first string (or key) of v for which bad_text() holds; 1 and its path in
 * out when there is one. */
static int find_text(const json_t *v, const char *path, int (*bad_text)(const char *, size_t),
                     char out[PATH_LEN])
{
	char sub[PATH_LEN];
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v) && bad_text(json_string_value(v), json_string_length(v))) {
		ds_field_pathf(out, "%s", path[0] ? path : "(top)");
		return 1;
	}
	json_array_foreach(v, i, item)
	{
		ds_field_pathf(sub, "%s[%zu]", path, i);
		if (find_text(item, sub, bad_text, out))
			return 1;
	}
	json_object_foreach((json_t *)v, key, item)
	{
		ds_field_pathf(sub, "%s%s%s", path, path[0] ? "." : "", key);
		if (bad_text(key, strlen(key))) {
			ds_field_pathf(out, "%s", sub);
			return 1;
		}
		if (find_text(item, sub, bad_text, out))
			return 1;
	}
	return 0;
}

int ds_json_nfc_strict(const json_t *v, json_t **out)
{
	char where[PATH_LEN];

	*out = NULL;
	if (nfc_already(v)) {
		*out = json_incref((json_t *)v);
		return 0;
	}
	if (find_text(v, "", has_nul, where))
		return ds_error_set(DS_EINVALID, "%s: %s", where,
		                    "text must not contain NUL characters");
	if (nfc_value(v, out) == 0)
		return 0;
	if (find_text(v, "", not_utf8, where))
		return ds_error_set(DS_EINVALID, "%s: %s", where, "text is not valid UTF-8");
	return DS_EINVALID;
}
