/* config.c: the data directory's `config` file, "key = value" lines with # comments.
 * Unknown keys and bad values are refused with the line number, so a typo never
 * silently falls back to a default. */
#include "agent/agent.h"

#include <stdlib.h>
#include <string.h>

void agent_config_init(agent_config *c)
{
	memset(c, 0, sizeof(*c));
	c->code_lo = 1;
	c->code_hi = 8999;
	c->pull_interval_s = 30;
	c->backoff_base_ms = 1000;
	c->backoff_cap_ms = 300000;
	c->batch_bytes = 256L << 10;
	c->connect_timeout_s = 10;
	c->total_timeout_s = 120;
	c->low_speed_bytes = 100;
	c->low_speed_time_s = 30;
	c->attach_max_bytes = AGENT_ATTACH_MAX;
	c->attach_round_s = 120;
	c->policies = json_object();
}

void agent_config_release(agent_config *c)
{
	free(c->office);
	free(c->node);
	free(c->central);
	free(c->token_file);
	free(c->ca_file);
	free(c->actor);
	free(c->data_dir);
	free(c->http);
	json_decref(c->policies);
	memset(c, 0, sizeof(*c));
}

static int set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v[0] ? ds_strdup(v) : NULL;
	return 0;
}

static int set_long(long *slot, const char *v, long lo, long hi)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!v[0] || *end || n < lo || n > hi)
		return -1;
	*slot = n;
	return 0;
}

static int set_int(int *slot, const char *v, long lo, long hi)
{
	long n;

	if (set_long(&n, v, lo, hi))
		return -1;
	*slot = (int)n;
	return 0;
}

static int set_block(agent_config *c, const char *v)
{
	int lo, hi, used = 0;

	if (sscanf(v, "%d-%d%n", &lo, &hi, &used) != 2 || v[used] || lo < 1 || hi > 9999 || lo > hi)
		return -1;
	c->code_lo = lo;
	c->code_hi = hi;
	return 0;
}

static const char *const policy_rules[] = {"owner", "ours", "theirs", "manual"};

static int set_policy(agent_config *c, const char *field, const char *v)
{
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(policy_rules); i++)
		if (strcmp(v, policy_rules[i]) == 0) {
			json_object_set_new(c->policies, field, json_string(v));
			return 0;
		}
	return -1;
}

/* Two PCs of one office changed the same field: "later" (the later act wins) or "manual". */
static int set_peer_edits(agent_config *c, const char *v)
{
	if (strcmp(v, "later") && strcmp(v, "manual"))
		return -1;
	c->peer_edits_manual = !strcmp(v, "manual");
	return 0;
}

/* "prefetch = own": the daemon brings its own agency's attachments; "none" (default). */
static int set_prefetch(agent_config *c, const char *v)
{
	if (strcmp(v, "own") && strcmp(v, "none"))
		return -1;
	c->prefetch_own = !strcmp(v, "own");
	return 0;
}

/* Sets one key; -1 for a bad value, -2 for an unknown key. */
static int set_key(agent_config *c, const char *k, const char *v)
{
	if (!strcmp(k, "office"))
		return schema_agency_check(v) ? -1 : set_str(&c->office, v);
	if (!strcmp(k, "node"))
		return set_str(&c->node, v);
	if (!strcmp(k, "central"))
		return set_str(&c->central, v);
	if (!strcmp(k, "token_file"))
		return set_str(&c->token_file, v);
	if (!strcmp(k, "ca_file"))
		return set_str(&c->ca_file, v);
	if (!strcmp(k, "actor"))
		return set_str(&c->actor, v);
	if (!strcmp(k, "data_dir"))
		return set_str(&c->data_dir, v);
	if (!strcmp(k, "code_block"))
		return set_block(c, v);
	if (!strcmp(k, "pull_interval"))
		return set_int(&c->pull_interval_s, v, 1, 86400);
	if (!strcmp(k, "backoff_base_ms"))
		return set_int(&c->backoff_base_ms, v, 10, 3600000);
	if (!strcmp(k, "backoff_cap_ms"))
		return set_int(&c->backoff_cap_ms, v, 10, 86400000);
	if (!strcmp(k, "batch_bytes"))
		return set_long(&c->batch_bytes, v, 1024, 6L << 20);
	if (!strcmp(k, "max_send_bytes"))
		return set_long(&c->max_send_bytes_s, v, 0, 1L << 40);
	if (!strcmp(k, "connect_timeout"))
		return set_long(&c->connect_timeout_s, v, 1, 3600);
	if (!strcmp(k, "total_timeout"))
		return set_long(&c->total_timeout_s, v, 1, 86400);
	if (!strcmp(k, "low_speed_bytes"))
		return set_long(&c->low_speed_bytes, v, 1, 1L << 30);
	if (!strcmp(k, "low_speed_time"))
		return set_long(&c->low_speed_time_s, v, 1, 3600);
	if (!strcmp(k, "http"))
		return v[0] && agent_http_addr_check(v) ? -1 : set_str(&c->http, v);
	if (!strcmp(k, "peer_edits"))
		return set_peer_edits(c, v);
	if (!strcmp(k, "attach_max_bytes"))
		return set_long(&c->attach_max_bytes, v, 1, 1L << 34);
	if (!strcmp(k, "attach_round_s"))
		return set_int(&c->attach_round_s, v, 1, 86400);
	if (!strcmp(k, "prefetch"))
		return set_prefetch(c, v);
	if (!strncmp(k, "policy.", 7) && k[7])
		return set_policy(c, k + 7, v);
	return -2;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int agent_config_parse(agent_config *c, const char *text, const char *path)
{
	char *copy = ds_strdup(text), *line, *save = NULL, *eq;
	int lineno = 0, rc = 0, r;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			rc = ds_error_set(DS_EINVALID, "%s:%d: expected 'key = value'", path,
			                  lineno);
			break;
		}
		*eq = '\0';
		r = set_key(c, trim(line), trim(eq + 1));
		if (r == -2)
			rc = ds_error_set(DS_EINVALID, "%s:%d: unknown setting '%s'", path, lineno,
			                  trim(line));
		else if (r)
			rc = ds_error_set(DS_EINVALID, "%s:%d: bad value for '%s'", path, lineno,
			                  trim(line));
		if (rc)
			break;
	}
	free(copy);
	return rc;
}

char *agent_config_format(const agent_config *c)
{
	ds_buf b = DS_BUF_INIT;
	const char *k;
	json_t *v;

	ds_buf_puts(&b, "# dossync agent configuration (key = value)\n");
	ds_buf_printf(&b, "office = %s\nnode = %s\ncentral = %s\n", c->office, c->node, c->central);
	if (c->token_file)
		ds_buf_printf(&b, "token_file = %s\n", c->token_file);
	if (c->ca_file)
		ds_buf_printf(&b, "ca_file = %s\n", c->ca_file);
	if (c->actor)
		ds_buf_printf(&b, "actor = %s\n", c->actor);
	if (c->data_dir)
		ds_buf_printf(&b, "data_dir = %s\n", c->data_dir);
	ds_buf_printf(&b, "code_block = %d-%d\npull_interval = %d\n", c->code_lo, c->code_hi,
	              c->pull_interval_s);
	ds_buf_printf(&b, "backoff_base_ms = %d\nbackoff_cap_ms = %d\nbatch_bytes = %ld\n",
	              c->backoff_base_ms, c->backoff_cap_ms, c->batch_bytes);
	if (c->max_send_bytes_s)
		ds_buf_printf(&b, "max_send_bytes = %ld\n", c->max_send_bytes_s);
	if (c->http)
		ds_buf_printf(&b, "http = %s\n", c->http);
	if (c->peer_edits_manual)
		ds_buf_puts(&b, "peer_edits = manual\n");
	if (c->attach_max_bytes != AGENT_ATTACH_MAX)
		ds_buf_printf(&b, "attach_max_bytes = %ld\n", c->attach_max_bytes);
	if (c->attach_round_s != 120)
		ds_buf_printf(&b, "attach_round_s = %d\n", c->attach_round_s);
	if (c->prefetch_own)
		ds_buf_puts(&b, "prefetch = own\n");
	json_object_foreach(c->policies, k, v)
	    ds_buf_printf(&b, "policy.%s = %s\n", k, json_string_value(v));
	return ds_buf_detach(&b, NULL);
}
