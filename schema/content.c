/* content.c: the content checks of one field's value, beyond its JSON kind (the rules
 * docs/FORMAT.md spells out: names, CCCD, phone, e-mail, codes, amounts, statuses). Each
 * takes a value already known to be of its field's kind and answers 1 (fine) or 0; the
 * field tables of validate.c name them and give the message.
 */
#include "schema/schema_int.h"

#include <string.h>

#define VND_MAX 1000000000000LL

static int chars_in(const char *s, const char *set, size_t lo, size_t hi)
{
	size_t n = strlen(s);

	return n >= lo && n <= hi && strspn(s, set) == n;
}

#define DIGITS "0123456789"
#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

int schema_id_ok(const char *s, size_t max)
{
	return s && chars_in(s, ID_CHARS, 1, max);
}

int schema_ok_nonempty(const json_t *v)
{
	return json_string_length(v) > 0;
}

/* 1 to 200 characters (code points, not bytes). */
int schema_ok_person_name(const json_t *v)
{
	const unsigned char *p = (const unsigned char *)json_string_value(v);
	size_t n = 0;

	for (; *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n >= 1 && n <= 200;
}

int schema_ok_procedure_code(const json_t *v)
{
	return chars_in(json_string_value(v), DIGITS ".", 1, 20);
}

int schema_ok_field_code(const json_t *v)
{
	return chars_in(json_string_value(v), ID_CHARS, 1, 20);
}

int schema_ok_cccd(const json_t *v)
{
	return chars_in(json_string_value(v), DIGITS, 12, 12);
}

/* 0 followed by 9 or 10 digits, or +84 followed by 9 or 10 digits. */
int schema_ok_phone(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s[0] == '0')
		return chars_in(s + 1, DIGITS, 9, 10);
	if (strncmp(s, "+84", 3) == 0)
		return chars_in(s + 3, DIGITS, 9, 10);
	return 0;
}

/* One '@' after a non-empty local part, a domain with an inner dot, no spaces. */
int schema_ok_email(const json_t *v)
{
	const char *s = json_string_value(v), *at = strchr(s, '@'), *dot;

	if (!at || at == s || strchr(at + 1, '@') || strpbrk(s, " \t\r\n"))
		return 0;
	dot = strchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] && s[strlen(s) - 1] != '.';
}

int schema_ok_item_id(const json_t *v)
{
	return schema_id_ok(json_string_value(v), SCHEMA_ITEM_ID_MAX);
}

int schema_ok_sha256_hex(const json_t *v)
{
	return chars_in(json_string_value(v), DIGITS "abcdef", 64, 64);
}

/* An attachment's kind: a scan of a paper handed in, or the result document. */
int schema_ok_attach_kind(const json_t *v)
{
	const char *k = json_string_value(v);

	return k && (strcmp(k, "scan") == 0 || strcmp(k, "result") == 0);
}

int schema_ok_agency(const json_t *v)
{
	return schema_agency_check(json_string_value(v)) == 0;
}

int schema_ok_dossier_code(const json_t *v)
{
	return schema_code_parse(json_string_value(v), NULL, NULL, NULL, NULL, NULL) == 0;
}

int schema_ok_channel(const json_t *v)
{
	json_int_t c = json_integer_value(v);

	return c >= 1 && c <= 3;
}

int schema_ok_status(const json_t *v)
{
	json_int_t s = json_integer_value(v);

	return s >= 1 && s <= SCHEMA_STATUS_MAX;
}

/* A status that can move to 7, so 7 can move back to it (status.c). */
int schema_ok_prior_status(const json_t *v)
{
	json_int_t p = json_integer_value(v);

	return p >= 1 && p <= SCHEMA_STATUS_MAX && schema_status_legal((int)p, 7, 0);
}

int schema_ok_count(const json_t *v)
{
	return json_integer_value(v) >= 0;
}

int schema_ok_vnd(const json_t *v)
{
	return json_integer_value(v) >= 0 && json_integer_value(v) <= VND_MAX;
}
