/* http_int.h: what the local API's files share (http.c serves, http_calls.c answers the
 * JSON calls, http_page.c draws the status page). Not part of the module's interface. */
#ifndef DOSSYNC_HTTP_INT_H
#define DOSSYNC_HTTP_INT_H

#include "agent/agent.h"

#include <microhttpd.h>

#define API_MAX_BODY (1u << 20)  /* a request body: 1 MiB at most (413 beyond) */
#define API_MAX_FILE (64u << 20) /* an attach call's body, the scan: 64 MiB at most */

/* One JSON call being answered. The handler sets *out (its answer, owned by the server)
 * and may set status (200 unless it says otherwise). */
typedef struct api_call {
	const char *dir;   /* the data directory */
	const char *actor; /* who acts: X-Dossync-Actor, else the daemon's */
	const char *code;  /* CODE of /api/dossiers/CODE[/...], or NULL */
	const char *body;  /* the request body (NUL-terminated), or "" */
	size_t body_len;
	struct MHD_Connection *conn; /* for query arguments */
	unsigned status;
} api_call;

/* Routes method and url ("/api/...") to its call; returns 0 or a DS_E* code with the
 * message set (the server answers it as {"error": message}). *out: the answer. */
int api_route(api_call *call, const char *method, const char *url, json_t **out);
/* The HTTP status for a call that failed with rc (the message is this thread's). */
unsigned api_http_status(int rc);
/* The status page (text/html) of the data directory dir, in *out (caller frees). */
int api_status_page(const char *dir, char **out, size_t *len);

#endif
