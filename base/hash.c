/* hash.c: SHA-256 (OpenSSL libcrypto EVP) as lowercase hex, and secure random bytes,
 * for the journal's hash chain and central's tokens. */
#include "base/base.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ds_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[s[i] >> 4];
		out[2 * i + 1] = digits[s[i] & 15];
	}
	out[2 * n] = '\0';
}

void ds_sha256_hex2(const void *a, size_t an, const void *b, size_t bn, char out[DS_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, a, an) ||
	    !EVP_DigestUpdate(ctx, b, bn) || !EVP_DigestFinal_ex(ctx, md, &mdlen))
		abort(); /* libcrypto cannot fail here short of memory exhaustion */
	EVP_MD_CTX_free(ctx);
	ds_hex(md, mdlen, out);
}

void ds_sha256_hex(const void *p, size_t n, char out[DS_SHA256_HEX])
{
	ds_sha256_hex2(p, n, "", 0, out);
}

int ds_sha256_file(const char *path, char out[DS_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE], block[65536];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		abort(); /* as above */
	if (!f)
		rc = ds_error_set(errno == ENOENT ? DS_ENOTFOUND : DS_ERROR, "cannot read %s: %s",
		                  path, strerror(errno));
	while (!rc && (n = fread(block, 1, sizeof(block), f)) > 0)
		if (!EVP_DigestUpdate(ctx, block, n))
			abort();
	if (!rc && ferror(f))
		rc = ds_error_set(DS_ERROR, "cannot read %s", path);
	if (f)
		fclose(f);
	if (!rc && EVP_DigestFinal_ex(ctx, md, &mdlen))
		ds_hex(md, mdlen, out);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ds_random_bytes(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		return ds_error_set(DS_ERROR, "no random bytes from libcrypto");
	return 0;
}
