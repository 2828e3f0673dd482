/* http_calls.c: the JSON calls of the local API (docs/LOCAL-API.md). Each opens the data
 * directory as the CLI does (AGENT_WRITE takes the writer lock) and calls the same agent_*
 * function as its cmd_*.c twin, so validation, journal and messages are the CLI's. */
#include "agent/http_int.h"

#include <stdlib.h>
#include <string.h>

typedef int (*call_fn)(api_call *call, json_t **out);

/* ---------------------------------------------------------------- helpers */
/* The body as one JSON object: DS_EINVALID (with line and column) otherwise. */
static int body_object(const api_call *call, json_t **out)
{
	int rc;

	*out = NULL;
	if (call->body_len == 0)
		return ds_error_set(DS_EINVALID, "the request body must be a JSON object");
	if ((rc = ds_json_parse(call->body, call->body_len, out)))
		return rc;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ds_error_set(DS_EINVALID, "the request body must be a JSON object");
	}
	return 0;
}

/* The dossier as `show --json` prints it: its JSON plus version and sync. */
static int shown(agent *a, const char *code, json_t **out)
{
	int64_t version = 0;
	const char *sync = NULL;
	int rc = agent_get(a, code, out, &version, &sync);

	if (rc)
		return rc;
	json_object_set_new(*out, "version", json_integer(version));
	json_object_set_new(*out, "sync", json_string(sync));
	return 0;
}

/* ---------------------------------------------------------------- the calls */
static int call_status(api_call *call, json_t **out)
{
	agent *a = NULL;
	int rc = agent_open(&a, call->dir, AGENT_READ, call->actor);

	if (!rc)
		rc = agent_status(a, out);
	agent_close(a);
	return rc;
}

/* Every query parameter of a list call is one of `list`'s filters (agent_find_option). */
struct find_args {
	agent_find f;
	int64_t now;
	int rc;
};

static enum MHD_Result find_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
	struct find_args *fa = cls;

	(void)kind;
	if (!fa->rc)
		fa->rc = agent_find_option(&fa->f, key, value && *value ? value : NULL, fa->now);
	return fa->rc ? MHD_NO : MHD_YES;
}

/* ?search=TEXT&status=N&late=1&overdue=1&pending=1&due-within=D&received-from=DAY&
 * received-to=DAY&limit=N&offset=N, as `list` with the same options. */
static int call_list(api_call *call, json_t **out)
{
	struct find_args fa;
	agent *a = NULL;
	int rc;

	memset(&fa, 0, sizeof(fa));
	fa.now = ds_time_now();
	MHD_get_connection_values(call->conn, MHD_GET_ARGUMENT_KIND, find_arg, &fa);
	if ((rc = fa.rc) || (rc = agent_find_check(&fa.f)))
		return rc;
	if ((rc = agent_open(&a, call->dir, AGENT_READ, call->actor)) == 0)
		rc = agent_find_list(a, &fa.f, out);
	agent_close(a);
	return rc;
}

/* ?from=DAY&to=DAY (either may be left out), as `report --from DAY --to DAY --json`. */
static int call_report(api_call *call, json_t **out)
{
	const char *from = MHD_lookup_connection_value(call->conn, MHD_GET_ARGUMENT_KIND, "from");
	const char *to = MHD_lookup_connection_value(call->conn, MHD_GET_ARGUMENT_KIND, "to");
	agent *a = NULL;
	int rc = agent_open(&a, call->dir, AGENT_READ, call->actor);

	if (!rc)
		rc = agent_report(a, from, to, out);
	agent_close(a);
	return rc;
}

static int call_show(api_call *call, json_t **out)
{
	agent *a = NULL;
	int rc = agent_open(&a, call->dir, AGENT_READ, call->actor);

	if (!rc)
		rc = shown(a, call->code, out);
	agent_close(a);
	return rc;
}

static int call_create(api_call *call, json_t **out)
{
	json_t *d = NULL;
	agent *a = NULL;
	char *code = NULL;
	int rc;

	if ((rc = body_object(call, &d)) ||
	    (rc = agent_open(&a, call->dir, AGENT_WRITE, call->actor)))
		goto done;
	if ((rc = agent_create(a, d, &code)) == 0) {
		*out = json_pack("{s:s}", "code", code);
		call->status = MHD_HTTP_CREATED;
	}
done:
	agent_close(a);
	json_decref(d);
	free(code);
	return rc;
}

/* The body is a JSON merge patch, as `update CODE --patch FILE`; answers the dossier. */
static int call_update(api_call *call, json_t **out)
{
	json_t *patch = NULL;
	agent *a = NULL;
	int rc;

	if ((rc = body_object(call, &patch)) ||
	    (rc = agent_open(&a, call->dir, AGENT_WRITE, call->actor)))
		goto done;
	if ((rc = agent_update(a, call->code, patch)) == 0)
		rc = shown(a, call->code, out);
done:
	agent_close(a);
	json_decref(patch);
	return rc;
}

/* {"status": N, "note": TEXT}, as `transition CODE N --note TEXT`. */
static int call_transition(api_call *call, json_t **out)
{
	json_t *b = NULL, *to, *note;
	agent *a = NULL;
	int rc;

	if ((rc = body_object(call, &b)))
		return rc;
	to = json_object_get(b, "status");
	note = json_object_get(b, "note");
	if (!json_is_integer(to) || !schema_status_valid((int)json_integer_value(to)) ||
	    json_integer_value(to) > 10 || json_integer_value(to) < 1)
		rc =
		    ds_error_set(DS_EINVALID, "status is not one of the ten national codes (1-10)");
	else if (note && !json_is_string(note))
		rc = ds_error_set(DS_EINVALID, "note: not text");
	if (!rc)
		rc = agent_open(&a, call->dir, AGENT_WRITE, call->actor);
	if (!rc)
		rc = agent_transition(a, call->code, (int)json_integer_value(to),
		                      json_string_value(note));
	if (!rc)
		*out =
		    json_pack("{s:s,s:I,s:s}", "code", call->code, "status", json_integer_value(to),
		              "name", schema_status_name((int)json_integer_value(to)));
	agent_close(a);
	json_decref(b);
	return rc;
}

static int call_conflicts(api_call *call, json_t **out)
{
	agent *a = NULL;
	int rc = agent_open(&a, call->dir, AGENT_READ, call->actor);

	if (!rc)
		rc = agent_conflicts(a, out);
	agent_close(a);
	return rc;
}

/* {"field": F, "how": "ours" | "theirs" | "value", "value": JSON}, as `resolve CODE F`. */
static int call_resolve(api_call *call, json_t **out)
{
	json_t *b = NULL, *value;
	const char *field, *how;
	agent *a = NULL;
	int rc;

	if ((rc = body_object(call, &b)))
		return rc;
	field = json_string_value(json_object_get(b, "field"));
	how = json_string_value(json_object_get(b, "how"));
	value = json_object_get(b, "value");
	if (!field || !how ||
	    (strcmp(how, "ours") && strcmp(how, "theirs") && strcmp(how, "value")))
		rc = ds_error_set(DS_EINVALID, "give field and how (\"ours\", \"theirs\" or "
		                               "\"value\" with value)");
	else if (!strcmp(how, "value") != (value != NULL))
		rc = ds_error_set(DS_EINVALID, "value goes with how \"value\" and only with it");
	if (!rc)
		rc = agent_open(&a, call->dir, AGENT_WRITE, call->actor);
	if (!rc)
		rc = agent_resolve(a, call->code, field, how, json_is_null(value) ? NULL : value);
	if (!rc)
		*out = json_pack("{s:s,s:s,s:s}", "code", call->code, "field", field, "how", how);
	agent_close(a);
	json_decref(b);
	return rc;
}

/* The query arguments of attach: name (required), kind, component; nothing else. */
struct attach_args {
	const char *name, *kind, *component;
	int rc;
};

static enum MHD_Result attach_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	struct attach_args *aa = cls;
	const char *v = value ? value : "";

	(void)kind;
	if (!strcmp(key, "name"))
		aa->name = v;
	else if (!strcmp(key, "kind"))
		aa->kind = v;
	else if (!strcmp(key, "component"))
		aa->component = v;
	else
		aa->rc = ds_error_set(DS_EINVALID,
		                      "attach takes name, kind and component, not '%s'", key);
	return aa->rc ? MHD_NO : MHD_YES;
}

/* The body is the file's bytes; ?name=FILE&kind=scan|result&component=ID, as `attach CODE
 * FILE --kind K --component ID --json`; answers the item added (201). */
static int call_attach(api_call *call, json_t **out)
{
	struct attach_args aa = {NULL, NULL, NULL, 0};
	agent *a = NULL;
	int rc;

	MHD_get_connection_values(call->conn, MHD_GET_ARGUMENT_KIND, attach_arg, &aa);
	if (aa.rc)
		return aa.rc;
	if (!aa.name || !*aa.name)
		return ds_error_set(DS_EINVALID, "attach needs ?name=FILE, the scan's file name");
	if ((rc = agent_open(&a, call->dir, AGENT_WRITE, call->actor)) == 0)
		rc = agent_attach_bytes(a, call->code, aa.name, call->body, call->body_len,
		                        aa.component && *aa.component ? aa.component : NULL,
		                        aa.kind, out);
	agent_close(a);
	if (!rc)
		call->status = MHD_HTTP_CREATED;
	return rc;
}

/* ---------------------------------------------------------------- routing */
static const struct route {
	const char *method, *path, *tail; /* path: exact, or the prefix of .../CODE[tail] */
	call_fn fn;
} routes[] = {
    {"GET", "/api/status", NULL, call_status},
    {"GET", "/api/conflicts", NULL, call_conflicts},
    {"GET", "/api/report", NULL, call_report},
    {"GET", "/api/dossiers", NULL, call_list},
    {"POST", "/api/dossiers", NULL, call_create},
    {"GET", "/api/dossiers/", "", call_show},
    {"PATCH", "/api/dossiers/", "", call_update},
    {"POST", "/api/dossiers/", "/transition", call_transition},
    {"POST", "/api/dossiers/", "/resolve", call_resolve},
    {"POST", "/api/dossiers/", "/attachments", call_attach},
};

/* Whether url matches r; *code (malloc'd) is the CODE part of a prefix route. */
static int matches(const struct route *r, const char *url, char **code)
{
	size_t n = strlen(r->path), tl;
	const char *rest, *slash;

	*code = NULL;
	if (!r->tail)
		return strcmp(url, r->path) == 0;
	if (strncmp(url, r->path, n) != 0)
		return 0;
	rest = url + n;
	slash = strchr(rest, '/');
	tl = strlen(r->tail);
	if (slash == rest || (slash ? strcmp(slash, r->tail) != 0 : tl != 0) || !*rest)
		return 0;
	*code = ds_strndup(rest, slash ? (size_t)(slash - rest) : strlen(rest));
	return 1;
}

int api_route(api_call *call, const char *method, const char *url, json_t **out)
{
	int path_known = 0, rc;
	char *code = NULL;
	size_t i;

	*out = NULL;
	for (i = 0; i < DS_ARRAY_LEN(routes); i++) {
		if (!matches(&routes[i], url, &code))
			continue;
		path_known = 1;
		if (strcmp(method, routes[i].method) == 0) {
			call->code = code;
			rc = routes[i].fn(call, out);
			free(code);
			return rc;
		}
		free(code);
	}
	if (path_known)
		return ds_error_set(DS_EUSAGE, "%s is not a call on %s (see docs/LOCAL-API.md)",
		                    method, url);
	return ds_error_set(DS_ENOTFOUND, "no call %s %s (see docs/LOCAL-API.md)", method, url);
}

/* The statuses of docs/LOCAL-API.md: an illegal status move is refused as invalid data by
 * the CLI (exit 65) and as 409 here, told apart by schema/op.c's message. */
unsigned api_http_status(int rc)
{
	switch (rc) {
	case DS_EINVALID:
		return strncmp(ds_error_msg(), "illegal status move", 19) == 0
		           ? MHD_HTTP_CONFLICT
		           : MHD_HTTP_BAD_REQUEST;
	case DS_EUSAGE:
		return MHD_HTTP_BAD_REQUEST;
	case DS_ENOTFOUND:
		return MHD_HTTP_NOT_FOUND;
	case DS_ECONFLICT:
		return MHD_HTTP_CONFLICT;
	case DS_ERETRY:
	case DS_ENOSPC:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	case DS_ETOOBIG:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	case DS_EPERM:
		return MHD_HTTP_FORBIDDEN;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}
