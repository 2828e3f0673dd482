/* cli_data.c: `dossync-central data publish|versions`: the working calendar and the
 * procedure catalogue the province distributes (data/README.md). Offices pick a new
 * version up on their next pull (docs/PROTOCOL.md "GET /v1/data"). */
#include "central/cli_int.h"

#include <stdio.h>
#include <string.h>

static const char usage_data[] =
    "dossync-central data publish FILE...\n"
    "       dossync-central data versions\n"
    "  publish checks each calendar.json or procedures.json file (data/README.md) and makes\n"
    "  it the current version of its kind; every earlier version is kept. versions prints\n"
    "  the current ones.\n";

#define DATA_FILE_MAX (4 << 20)

static int publish_one(central_store *s, const char *path)
{
	char version[CENTRAL_DATA_VERSION_MAX + 1];
	const char *kind = NULL;
	ds_buf b = DS_BUF_INIT;
	int rc = ds_file_read(path, DATA_FILE_MAX, &b);

	if (rc == 0)
		rc = central_data_publish(s, b.ptr, b.len, &kind, version);
	ds_buf_release(&b);
	if (rc < 0)
		return ds_error_wrap(rc, "%s", path);
	printf("%s %s %s\n", kind, version, rc == 1 ? "(already published)" : "published");
	return 0;
}

static int versions(central_store *s)
{
	json_t *v = NULL, *ver;
	const char *kind;
	int rc = central_data_versions(s, &v);

	if (!rc)
		json_object_foreach(v, kind, ver) printf("%s %s\n", kind, json_string_value(ver));
	json_decref(v);
	return rc;
}

static int cmd_data(cli *cl, int argc, char **argv)
{
	central_store *s = NULL;
	int i, rc = 0;

	if (argc < 2 || (strcmp(argv[1], "publish") == 0) == (argc < 3) ||
	    (strcmp(argv[1], "publish") && (strcmp(argv[1], "versions") || argc != 2)))
		return cli_usage_error(cli_find("data"), NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	if (!strcmp(argv[1], "versions"))
		rc = versions(s);
	for (i = 2; !rc && i < argc; i++)
		rc = publish_one(s, argv[i]);
	central_store_free(s);
	return rc;
}

const cli_command central_cli_data_commands[] = {
    {"data", cmd_data, usage_data},
    {NULL, NULL, NULL},
};
