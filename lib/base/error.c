/*
 * error.c: the error context.  A failing function stores one message,
 * "subject: reason", where it fails; callers pass the status up unchanged and
 * cmd/ prints the message with the program name in front.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "base/base.h"

/* The definitions, not the analyzer's view of them (base.h). */
#undef cust_set_error
#undef cust_set_ssl_error

struct cust_ctx {
	char	msg[1024];
	int	err;
};

int
cust_ctx_new(struct cust_ctx **ctxp)
{
	*ctxp = calloc(1, sizeof(**ctxp));
	return *ctxp == NULL ? CUST_FATAL : CUST_OK;
}

void
cust_ctx_free(struct cust_ctx *ctx)
{
	free(ctx);
}

const char *
cust_ctx_error(const struct cust_ctx *ctx)
{
	return ctx->msg;
}

int
cust_ctx_errno(const struct cust_ctx *ctx)
{
	return ctx->err;
}

void
cust_ctx_clear(struct cust_ctx *ctx)
{
	ctx->msg[0] = '\0';
	ctx->err = 0;
}

int
cust_ctx_pass(struct cust_ctx *to, const struct cust_ctx *from, int status)
{
	memcpy(to->msg, from->msg, sizeof(to->msg));
	to->err = from->err;
	return status;
}

static void vset(struct cust_ctx *, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vset(struct cust_ctx *ctx, const char *reason, const char *fmt, va_list ap)
{
	size_t n;

	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	n = strlen(ctx->msg);
	if (reason != NULL && n < sizeof(ctx->msg))
		snprintf(ctx->msg + n, sizeof(ctx->msg) - n, "%s%s",
		    n > 0 ? ": " : "", reason);
}

int
cust_set_error(struct cust_ctx *ctx, int err, int status, const char *fmt, ...)
{
	va_list ap;

	if (ctx == NULL)
		return status;
	va_start(ap, fmt);
	vset(ctx, err != 0 ? strerror(err) : NULL, fmt, ap);
	va_end(ap);
	ctx->err = err;
	return status;
}

int
cust_set_ssl_error(struct cust_ctx *ctx, int status, const char *fmt, ...)
{
	char reason[256];
	unsigned long e, last = 0;
	va_list ap;

	/* The last queued error is the most specific one; drain the rest. */
	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0)
		ERR_error_string_n(last, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "unknown OpenSSL error");
	if (ctx == NULL)
		return status;
	va_start(ap, fmt);
	vset(ctx, reason, fmt, ap);
	va_end(ap);
	ctx->err = 0;
	return status;
}

void
cust_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}
