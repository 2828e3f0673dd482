/* progress.c: progress of long work for whoever watches (base.h "progress"). A person at
 * a terminal sees one line redrawn in place with a carriage return, wiped at the end so
 * the command's own output starts on a clean line; an app reads JSON events, one a line;
 * with mode none, or a NULL reporter, nothing is written. Rate is units per second since
 * the phase began; ETA is what remains at that rate, shown once a rate exists. */
#include "base/base.h"

#include <string.h>

#define LINE_EVERY_MS 100
#define EVENT_EVERY_MS 500

int ds_progress_mode(const char *s, FILE *out, int *mode)
{
	if (!strcmp(s, "auto"))
		*mode = ds_os_is_terminal(out) ? DS_PROGRESS_LINE : DS_PROGRESS_NONE;
	else if (!strcmp(s, "line"))
		*mode = DS_PROGRESS_LINE;
	else if (!strcmp(s, "json"))
		*mode = DS_PROGRESS_JSON;
	else if (!strcmp(s, "none"))
		*mode = DS_PROGRESS_NONE;
	else
		return ds_error_set(DS_EUSAGE, "--progress is auto, line, json or none, not '%s'",
		                    s);
	return 0;
}

void ds_progress_init(ds_progress *p, FILE *out, int mode)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->mode = out ? mode : DS_PROGRESS_NONE;
}

static int active(const ds_progress *p)
{
	return p && p->mode != DS_PROGRESS_NONE && p->phase;
}

/* Units per second since the phase began; 0 before the first tenth of a second. */
static double rate_of(const ds_progress *p, int64_t now)
{
	int64_t ms = now - p->start_ms;

	return ms >= 100 ? (double)p->done * 1000.0 / (double)ms : 0.0;
}

/* Seconds left at the current rate, or -1 when unknown. */
static double eta_of(const ds_progress *p, double rate)
{
	if (p->total <= 0 || rate <= 0.0 || p->done > p->total)
		return -1.0;
	return (double)(p->total - p->done) / rate;
}

static void clock_text(double s, char out[32])
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(out, 32, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, 32, "%ld:%02ld", t / 60, t % 60);
}

static void draw_line(ds_progress *p, int64_t now)
{
	double rate = rate_of(p, now), eta = eta_of(p, rate);
	char text[160], left[32];
	int n;

	if (p->total > 0)
		n = snprintf(text, sizeof(text), "%s  %lld/%lld  %d%%", p->phase,
		             (long long)p->done, (long long)p->total,
		             (int)(p->done * 100 / p->total));
	else
		n = snprintf(text, sizeof(text), "%s  %lld", p->phase, (long long)p->done);
	if (rate > 0.0 && n > 0 && (size_t)n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, "  %.0f/s", rate);
	if (eta >= 0.0 && n > 0 && (size_t)n < sizeof(text)) {
		clock_text(eta, left);
		n += snprintf(text + n, sizeof(text) - (size_t)n, "  ETA %s", left);
	}
	fprintf(p->out, "\r%s\033[K", text);
	fflush(p->out);
}

static void send_event(ds_progress *p, const char *event, int64_t now)
{
	double rate = rate_of(p, now), eta = eta_of(p, rate);
	json_t *e = json_pack("{s:s,s:s,s:I}", "event", event, "phase", p->phase, "done",
	                      (json_int_t)p->done);
	char *text;

	if (p->total > 0)
		json_object_set_new(e, "total", json_integer(p->total));
	if (strcmp(event, "begin"))
		json_object_set_new(e, "rate", json_real(rate));
	if (!strcmp(event, "progress") && eta >= 0.0)
		json_object_set_new(e, "eta_s", json_real(eta));
	if (!strcmp(event, "end"))
		json_object_set_new(e, "elapsed_s",
		                    json_real((double)(now - p->start_ms) / 1000.0));
	text = json_dumps(e, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (text)
		fprintf(p->out, "%s\n", text);
	fflush(p->out);
	free(text);
	json_decref(e);
}

static void show(ds_progress *p, const char *event)
{
	int64_t now = ds_clock_ms();

	p->shown_ms = now;
	if (p->mode == DS_PROGRESS_JSON)
		send_event(p, event, now);
	else
		draw_line(p, now);
}

void ds_progress_begin(ds_progress *p, const char *phase, int64_t total)
{
	if (!p || p->mode == DS_PROGRESS_NONE)
		return;
	if (p->phase)
		ds_progress_end(p);
	p->phase = phase;
	p->total = total > 0 ? total : 0;
	p->done = 0;
	p->start_ms = ds_clock_ms();
	show(p, "begin");
}

void ds_progress_add(ds_progress *p, int64_t n)
{
	int64_t every;

	if (!active(p))
		return;
	p->done += n;
	every = p->mode == DS_PROGRESS_JSON ? EVENT_EVERY_MS : LINE_EVERY_MS;
	if (ds_clock_ms() - p->shown_ms >= every)
		show(p, "progress");
}

void ds_progress_end(ds_progress *p)
{
	if (!active(p))
		return;
	if (p->mode == DS_PROGRESS_JSON) {
		send_event(p, "end", ds_clock_ms());
	} else {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
	p->phase = NULL;
}
