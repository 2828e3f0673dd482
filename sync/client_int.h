/* client_int.h: the HTTP client's insides, shared by client.c (requests, failover, the
 * JSON endpoints) and files.c (attachments: raw chunks up, byte ranges down). */
#ifndef DOSSYNC_SYNC_CLIENT_INT_H
#define DOSSYNC_SYNC_CLIENT_INT_H

#include "sync/sync.h"

#include <curl/curl.h>

struct sync_client {
	CURL *h;
	struct curl_slist *post_hdrs, *get_hdrs;
	char *url;   /* the URL in use: urls[cur] */
	char **urls; /* every central, base URLs without a trailing slash */
	size_t nurls, cur;
	char *list;       /* the list as given, to remember which central worked */
	ds_buf resp;      /* the last response body, capped at SYNC_MAX_BODY */
	int overflow;     /* the response passed the cap */
	char status[160]; /* the last status line, "HTTP/1.1 503 Service Unavailable" */
	char err[CURL_ERROR_SIZE];
	sync_counters cnt;
	const volatile sig_atomic_t *cancel; /* non-zero: abort the request in flight */
	int64_t server_time; /* central's Date header in the last response, 0: none */
	int64_t seen_at;     /* this PC's clock when that header arrived */
	/* set by files.c for one request: its method (NULL: GET or POST), its headers
	 * instead of the JSON ones, and a byte range to ask (NULL: none) */
	const char *method;
	struct curl_slist *req_hdrs;
	const char *range;
	ds_buf *upload; /* a PUT body read by on_read, never rewound (files.c); NULL: none */
	size_t upload_at;
	int prereqs; /* requests libcurl began to send in this attempt (on_prereq) */
};

/* Sends one request (POST when body is given, else GET; c->method, c->req_hdrs and
 * c->range change that) to the central in use, failing over to the next on no answer or
 * a 5xx; the answer is in c->resp. 0 with *status set when a central answered at all. */
int sync_perform(sync_client *c, const char *path, const ds_buf *body, long *status);
/* Makes the next request a PUT of c->upload read by callback, never rewound nor resent
 * on a new connection within the request (files.c). */
void sync_upload_setup(sync_client *c);
/* Central's error document ({"error": ...}) of the last answer, or NULL; text gets its
 * line, else the status line. The document is the caller's. */
json_t *sync_error_doc(sync_client *c, long status, char *text, size_t n);

#endif
