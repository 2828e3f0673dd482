/* serve_net.c: what the server needs from the network before it serves: the address to
 * listen on, enough open files for its connections, the TLS key and certificate it
 * serves with (libmicrohttpd with GnuTLS), and the "listening on" line. */
#include "central/central_int.h"

#include <microhttpd.h>
#include <netdb.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int central_resolve(const char *host, int port, struct sockaddr_storage *ss, int *ipv6)
{
	struct addrinfo hints = {0}, *ai = NULL;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc)
		return ds_error_set(DS_EUSAGE, "cannot listen on %s: %s", host, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*ipv6 = ai->ai_family == AF_INET6;
	if (*ipv6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	freeaddrinfo(ai);
	return 0;
}

void central_raise_nofile(unsigned max_connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_connections + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		ds_log(DS_LOG_WARN, "open files limited to %llu: fewer than %u connections",
		       (unsigned long long)rl.rlim_cur, max_connections);
}

/* A PEM file read whole (at most 1 MiB), NUL-terminated as libmicrohttpd wants it. */
static int pem_read(const char *path, const char *what, char **out)
{
	ds_buf b = DS_BUF_INIT;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = ds_file_read(path, 1u << 20, &b)) || (rc = ds_buf_add(&b, "", 1))) {
		ds_buf_release(&b);
		return ds_error_wrap(rc == DS_ENOTFOUND ? DS_EUSAGE : rc, "%s %s", what, path);
	}
	*out = ds_buf_detach(&b, &n);
	if (!strstr(*out, "-----BEGIN ")) {
		free(*out);
		*out = NULL;
		return ds_error_set(DS_EUSAGE, "%s %s: not a PEM file", what, path);
	}
	return 0;
}

/* The first certificate of cert and the key must be a pair (checked with libcrypto, so
 * the error is one clear line before libmicrohttpd starts). */
static int pair_check(const central_tls *t, const char *cert_path, const char *key_path)
{
	BIO *cb = BIO_new_mem_buf(t->cert, -1), *kb = BIO_new_mem_buf(t->key, -1);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	int rc = 0;

	if (!x)
		rc = ds_error_set(DS_EUSAGE, "--tls-cert %s: no PEM certificate in it", cert_path);
	else if (!k)
		rc = ds_error_set(DS_EUSAGE, "--tls-key %s: no unencrypted PEM private key in it",
		                  key_path);
	else if (X509_check_private_key(x, k) != 1)
		rc = ds_error_set(DS_EUSAGE, "--tls-key %s does not fit the certificate in %s",
		                  key_path, cert_path);
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

int central_tls_load(central_tls *t, const char *cert_path, const char *key_path)
{
	int rc;

	memset(t, 0, sizeof(*t));
	if (!cert_path && !key_path)
		return 0;
	if (!cert_path || !key_path)
		return ds_error_set(DS_EUSAGE, "--tls-cert and --tls-key go together");
	if ((rc = pem_read(cert_path, "--tls-cert", &t->cert)) ||
	    (rc = pem_read(key_path, "--tls-key", &t->key)) ||
	    (rc = pair_check(t, cert_path, key_path)))
		central_tls_release(t);
	return rc;
}

void central_tls_release(central_tls *t)
{
	if (t->key)
		memset(t->key, 0, strlen(t->key)); /* the private key does not linger */
	free(t->key);
	free(t->cert);
	t->key = t->cert = NULL;
}

int central_announce(struct MHD_Daemon *d, const char *what, const char *host, int port,
                     const char *port_file)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char text[16];

	port = info ? info->port : port;
	if (port_file) {
		snprintf(text, sizeof(text), "%d\n", port);
		if (ds_file_write_atomic(port_file, text, strlen(text), 0644))
			return ds_error_wrap(DS_ERROR, "port file %s", port_file);
	}
	fprintf(stderr, "dossync-central %s on %s:%d\n", what, host, port);
	fflush(stderr);
	return 0;
}
