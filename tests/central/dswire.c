/* dswire: a test tool that speaks the wire format of docs/PROTOCOL.md with the real sync/
 * and schema/ code, so shell tests can build push bodies and read answers with curl.
 *   dswire push-body --node N [--prev HASH] [--first SEQ] [--hash-file F] < ops.json
 *   dswire decode [--raw] < body.z      dswire deflate [--level L] < file
 *   dswire hold --port P --count N --addrs K --seconds S   (idle half-sent requests)
 */
#include "schema/schema.h"
#include "sync/sync.h"
#include "base/version.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
    "usage: dswire push-body --node N [--prev HASH] [--first SEQ] [--hash-file F] < ops.json\n"
    "         ops.json: an array of op entries; seq and op_id are filled in when absent\n"
    "         (from --first, default 1); hashes chain from --prev (default genesis)\n"
    "       dswire decode [--raw] < body.z   (inflates; expands ops/receipts/changes)\n"
    "       dswire deflate [--level L] < file > file.z\n"
    "       dswire hold --port P --count N [--addrs K] [--seconds S]\n"
    "         opens N connections to 127.0.0.1:P from 127.0.1.1..127.0.1.K in turn, each\n"
    "         sending half a request header; prints \"held N\", waits S seconds (default\n"
    "         15), then prints \"closed C of N\": how many central closed meanwhile\n";

static int fail(int rc)
{
	fprintf(stderr, "dswire: %s\n", ds_error_msg());
	return ds_exit_code(rc);
}

static int write_all(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n || fflush(stdout))
		return ds_error_set(DS_ERROR, "cannot write standard output");
	return 0;
}

/* Fills seq/op_id and chains the hashes; final gets the last hash. */
static int chain(json_t *ops, const char *node, long long first, const char *prev,
                 char final[DS_SHA256_HEX])
{
	char cur[DS_SHA256_HEX], id[128];
	json_t *op;
	size_t i;
	int rc;

	snprintf(cur, sizeof(cur), "%s", prev);
	json_array_foreach(ops, i, op)
	{
		if (!json_object_get(op, "seq")) {
			snprintf(id, sizeof(id), "%s:%lld", node, first + (long long)i);
			json_object_set_new(op, "seq", json_integer(first + (long long)i));
			json_object_set_new(op, "op_id", json_string(id));
		}
		if ((rc = schema_op_hash(cur, op, final)))
			return ds_error_wrap(rc, "ops[%zu]", i);
		snprintf(cur, sizeof(cur), "%s", final);
	}
	return 0;
}

static int push_body(int argc, char **argv)
{
	static const struct option opts[] = {{"node", required_argument, 0, 'n'},
	                                     {"prev", required_argument, 0, 'p'},
	                                     {"first", required_argument, 0, 'f'},
	                                     {"hash-file", required_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *node = NULL, *prev = schema_genesis_hash, *hash_file = NULL;
	char final[DS_SHA256_HEX] = "";
	ds_buf in = DS_BUF_INIT, body = DS_BUF_INIT;
	json_t *ops = NULL;
	long long first = 1;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			node = optarg;
		else if (c == 'p')
			prev = optarg;
		else if (c == 'f')
			first = atoll(optarg);
		else if (c == 'h')
			hash_file = optarg;
		else
			return fputs(usage, stderr), 64;
	}
	if (!node || optind != argc)
		return fputs(usage, stderr), 64;
	if ((rc = ds_file_read("-", 0, &in)) || (rc = ds_json_parse(in.ptr, in.len, &ops)))
		goto done;
	if (!json_is_array(ops)) {
		rc = ds_error_set(DS_EINVALID, "ops.json must be an array of ops");
		goto done;
	}
	if ((rc = chain(ops, node, first, prev, final)) ||
	    (rc = sync_push_encode(node, prev, final, ops, &body)) ||
	    (rc = write_all(body.ptr, body.len)))
		goto done;
	if (hash_file) {
		char line[DS_SHA256_HEX + 1];

		snprintf(line, sizeof(line), "%s\n", final);
		rc = ds_file_write_atomic(hash_file, line, strlen(line), 0644);
	}
done:
	json_decref(ops);
	ds_buf_release(&in);
	ds_buf_release(&body);
	return rc ? fail(rc) : 0;
}

/* Replaces each member holding a column document by the records it lays out. */
static int expand(json_t *doc)
{
	static const char *const lists[] = {"ops", "receipts", "changes"};
	json_t *cols, *records = NULL;
	size_t i;
	int rc;

	for (i = 0; json_is_object(doc) && i < DS_ARRAY_LEN(lists); i++) {
		cols = json_object_get(doc, lists[i]);
		if (!json_is_object(cols))
			continue;
		if ((rc = sync_cols_decode(cols, &records)))
			return ds_error_wrap(rc, "%s", lists[i]);
		json_object_set_new(doc, lists[i], records);
	}
	return 0;
}

static int decode(int argc, char **argv)
{
	ds_buf in = DS_BUF_INIT;
	json_t *doc = NULL;
	char *text = NULL;
	int raw = argc == 2 && strcmp(argv[1], "--raw") == 0, rc;

	if (argc > 1 && !raw)
		return fputs(usage, stderr), 64;
	if ((rc = ds_file_read("-", 0, &in)) ||
	    (rc = sync_body_decode(in.ptr, in.len, SYNC_MAX_INFLATED, &doc)) ||
	    (!raw && (rc = expand(doc))) || (rc = ds_json_canonical(doc, &text, NULL)))
		goto done;
	printf("%s\n", text);
done:
	free(text);
	json_decref(doc);
	ds_buf_release(&in);
	return rc ? fail(rc) : 0;
}

static int deflate_cmd(int argc, char **argv)
{
	ds_buf in = DS_BUF_INIT, out = DS_BUF_INIT;
	int level = 9, rc;

	if (argc == 3 && strcmp(argv[1], "--level") == 0)
		level = atoi(argv[2]);
	else if (argc != 1)
		return fputs(usage, stderr), 64;
	/* 0: the default 64 MiB read cap; zip-bomb tests feed more, so lift it. */
	if ((rc = ds_file_read("-", (size_t)1 << 30, &in)) ||
	    (rc = sync_deflate(in.ptr, in.len, level, &out)) || (rc = write_all(out.ptr, out.len)))
		goto done;
done:
	ds_buf_release(&in);
	ds_buf_release(&out);
	return rc ? fail(rc) : 0;
}

/* One connection from 127.0.1.<1 + i % addrs> with half a request header sent; -1 when
 * it cannot be made. */
static int hold_one(int port, int i, int addrs)
{
	static const char half[] = "POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
	struct sockaddr_in from = {0}, to = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	from.sin_family = to.sin_family = AF_INET;
	from.sin_addr.s_addr = htonl(0x7f000101u + (uint32_t)(i % addrs));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 ||
	    write(fd, half, sizeof(half) - 1) != (ssize_t)(sizeof(half) - 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 when the server has closed fd (a read sees the end or a reset). */
static int closed_by_peer(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int hold(int argc, char **argv)
{
	int port = 0, count = 0, addrs = 1, seconds = 15, held = 0, closed = 0, i, *fds;
	struct rlimit rl;

	for (i = 1; i + 1 < argc; i += 2) {
		int v = atoi(argv[i + 1]);

		if (!strcmp(argv[i], "--port"))
			port = v;
		else if (!strcmp(argv[i], "--count"))
			count = v;
		else if (!strcmp(argv[i], "--addrs"))
			addrs = v;
		else if (!strcmp(argv[i], "--seconds"))
			seconds = v;
		else
			return fputs(usage, stderr), 64;
	}
	if (i != argc || port < 1 || count < 1 || count > 100000 || addrs < 1 || addrs > 250)
		return fputs(usage, stderr), 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)count + 64 ? rl.rlim_max : (rlim_t)count + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc((size_t)count, sizeof(*fds));
	for (i = 0; i < count; i++)
		if ((fds[i] = hold_one(port, i, addrs)) >= 0)
			held++;
	printf("held %d\n", held);
	fflush(stdout);
	sleep((unsigned)seconds);
	for (i = 0; i < count; i++) {
		if (fds[i] >= 0) {
			closed += closed_by_peer(fds[i]);
			close(fds[i]);
		}
	}
	printf("closed %d of %d\n", closed, held);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return fputs(usage, stderr), 64;
	if (strcmp(argv[1], "--version") == 0)
		return printf("dswire %s\n", DOSSYNC_VERSION) < 0;
	if (strcmp(argv[1], "push-body") == 0)
		return push_body(argc - 1, argv + 1);
	if (strcmp(argv[1], "decode") == 0)
		return decode(argc - 1, argv + 1);
	if (strcmp(argv[1], "deflate") == 0)
		return deflate_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "hold") == 0)
		return hold(argc - 1, argv + 1);
	fputs(usage, stderr);
	return 64;
}
