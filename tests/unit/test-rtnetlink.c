/*
 * test-rtnetlink.c: interfaces, routes and neighbours of this host
 * through rtnetlink, and the bounds checks that every netlink attribute
 * goes through.  Every host has lo with 127.0.0.1 and the local table's
 * route to it; the neighbour table may be empty, but what it holds must
 * parse into rows of the documented keys.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include <check.h>

#include "live/sources.h"
#include "live/util.h"
#include "harness.h"

static struct cust_ctx *ctx;
static json_t *rows;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	rows = NULL;
}

static void
teardown(void)
{
	json_decref(rows);
	cust_ctx_free(ctx);
}

static const char *
s(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "(none)";
}

/* Does the array A hold the string V? */
static bool
holds(const json_t *a, const char *v)
{
	const json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(x), v) == 0)
			return true;
	return false;
}

/* Every row of ROWS has exactly the N keys KEYS. */
static void
keys(const char *const *k, size_t n)
{
	const json_t *v;
	size_t i;

	json_array_foreach(rows, i, v) {
		ck_assert_uint_eq(json_object_size(v), n);
		for (size_t j = 0; j < n; j++)
			ck_assert_msg(json_object_get(v, k[j]) != NULL, "%s",
			    k[j]);
	}
}

START_TEST(lo_is_listed_with_127_0_0_1)
{
	static const char *const k[] = {
		"name", "index", "mac", "broadcast", "type", "flags",
		"promiscuous", "promiscuity", "mtu", "operstate", "master",
		"kind", "addresses",
	};
	const json_t *v, *lo = NULL, *a;
	size_t i;
	bool has127 = false;

	ck_assert_msg(cust_live_interfaces(ctx, &rows) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	keys(k, NELEM(k));
	json_array_foreach(rows, i, v)
		if (strcmp(s(v, "name"), "lo") == 0)
			lo = v;
	ck_assert_ptr_nonnull(lo);
	ck_assert(holds(json_object_get(lo, "flags"), "LOOPBACK"));
	ck_assert(holds(json_object_get(lo, "flags"), "UP"));
	ck_assert(!holds(json_object_get(lo, "flags"), "PROMISC"));
	ck_assert(json_is_false(json_object_get(lo, "promiscuous")));
	ck_assert_str_eq(s(lo, "mac"), "00:00:00:00:00:00");
	ck_assert_int_gt(json_integer_value(json_object_get(lo, "mtu")), 0);
	json_array_foreach(json_object_get(lo, "addresses"), i, a)
		if (strcmp(s(a, "address"), "127.0.0.1") == 0) {
			ck_assert_str_eq(s(a, "family"), "inet");
			ck_assert_int_eq(json_integer_value(json_object_get(a,
			    "prefixlen")), 8);
			ck_assert_str_eq(s(a, "scope"), "host");
			has127 = true;
		}
	ck_assert(has127);
}
END_TEST

START_TEST(routes_hold_the_local_route_to_127_0_0_1)
{
	static const char *const k[] = {
		"family", "table", "table_name", "type", "destination",
		"gateway", "oif", "prefsrc", "priority", "protocol", "scope",
	};
	const json_t *v;
	size_t i;
	bool found = false;

	ck_assert_msg(cust_live_routes(ctx, &rows) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	keys(k, NELEM(k));
	json_array_foreach(rows, i, v)
		if (strcmp(s(v, "destination"), "127.0.0.1/32") == 0 &&
		    strcmp(s(v, "type"), "local") == 0) {
			ck_assert_str_eq(s(v, "table_name"), "local");
			ck_assert_int_eq(json_integer_value(json_object_get(v,
			    "table")), 255);
			ck_assert_str_eq(s(v, "scope"), "host");
			ck_assert_str_eq(s(v, "protocol"), "kernel");
			found = true;
		}
	ck_assert(found);
}
END_TEST

START_TEST(neighbours_parse)
{
	static const char *const k[] = {
		"family", "ifindex", "address", "mac", "state", "router",
		"proxy",
	};

	ck_assert_msg(cust_live_neighbours(ctx, &rows) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert(json_is_array(rows));
	keys(k, NELEM(k));
}
END_TEST

/* Attributes: two well-formed ones are found; one that claims more bytes
 * than there are, or fewer than its own header, ends the walk. */
START_TEST(attributes_are_bounds_checked)
{
	unsigned char b[32] = { 0 };
	const struct rtattr *tb[4];
	struct rtattr a;

	a.rta_len = 8;
	a.rta_type = 1;
	memcpy(b, &a, sizeof(a));
	memcpy(b + 4, "abcd", 4);
	a.rta_len = 6;
	a.rta_type = 3;
	memcpy(b + 8, &a, sizeof(a));
	ck_assert(cust_nl_attrs(b, 14, tb, 3));
	ck_assert_ptr_nonnull(tb[1]);
	ck_assert_uint_eq(cust_nl_len(tb[1]), 4);
	ck_assert_uint_eq(cust_nl_len(tb[3]), 2);
	ck_assert_ptr_null(tb[2]);
	/* the second claims 6 bytes, 5 are there */
	ck_assert(!cust_nl_attrs(b, 13, tb, 3));
	/* a length below the header's own 4 bytes */
	a.rta_len = 3;
	memcpy(b + 8, &a, sizeof(a));
	ck_assert(!cust_nl_attrs(b, 16, tb, 3));
	/* a type past MAX is skipped, not stored */
	a.rta_len = 4;
	a.rta_type = 9;
	memcpy(b + 8, &a, sizeof(a));
	ck_assert(cust_nl_attrs(b, 12, tb, 3));
	ck_assert_uint_eq(cust_nl_u32(tb[1], 7), 0x64636261);
	ck_assert_uint_eq(cust_nl_u32(NULL, 7), 7);
}
END_TEST

/* Messages seen by the walker's callback. */
static int calls;

static int
count(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	ck_assert_uint_eq(n, h->nlmsg_len - sizeof(*h));
	calls++;
	return CUST_OK;
}

/* A message of TYPE with SEQ and N bytes of payload PAYLOAD at B + OFF;
 * the offset after it. */
static size_t
msg(unsigned char *b, size_t off, uint16_t type, uint32_t seq,
    const void *payload, size_t n)
{
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)(sizeof(h) + n), .nlmsg_type = type,
		.nlmsg_seq = seq,
	};

	memcpy(b + off, &h, sizeof(h));
	memcpy(b + off + sizeof(h), payload, n);
	return off + NLMSG_ALIGN(sizeof(h) + n);
}

START_TEST(netlink_messages_are_bounds_checked)
{
	struct cust_nl d = { ctx, "test", 7, count, NULL, NULL, false };
	unsigned char b[256];
	int zero = 0, eperm = -EPERM;
	size_t off;

	calls = 0;
	memset(b, 0, sizeof(b));
	/* two messages, one of another request, then the end */
	off = msg(b, 0, RTM_NEWLINK, 7, "abcde", 5);
	off = msg(b, off, RTM_NEWLINK, 8, "x", 1);
	off = msg(b, off, NLMSG_DONE, 7, &zero, sizeof(zero));
	ck_assert_int_eq(cust_nl_datagram(&d, b, off), 1);
	ck_assert_int_eq(calls, 1);
	/* the first claims one byte more than the datagram holds */
	ck_assert_int_eq(cust_nl_datagram(&d, b, 20), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "test: malformed netlink message: Protocol error");
	/* a length below the header's own */
	((struct nlmsghdr *)(void *)b)->nlmsg_len = 8;
	ck_assert_int_eq(cust_nl_datagram(&d, b, off), CUST_FAILED);
	/* a tail shorter than a header is no message */
	calls = 0;
	ck_assert_int_eq(cust_nl_datagram(&d, b, 15), CUST_OK);
	ck_assert_int_eq(calls, 0);
	/* the kernel's refusal is its errno */
	off = msg(b, 0, NLMSG_ERROR, 7, &eperm, sizeof(eperm));
	ck_assert_int_eq(cust_nl_datagram(&d, b, off), CUST_FAILED);
	ck_assert_int_eq(cust_ctx_errno(ctx), EPERM);
	/* an error without its number */
	off = msg(b, 0, NLMSG_ERROR, 7, "", 0);
	ck_assert_int_eq(cust_nl_datagram(&d, b, off), CUST_FAILED);
	ck_assert_int_eq(cust_ctx_errno(ctx), EPROTO);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *su = suite_create("rtnetlink");
	TCase *tc = tcase_create("rtnetlink");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lo_is_listed_with_127_0_0_1);
	tcase_add_test(tc, routes_hold_the_local_route_to_127_0_0_1);
	tcase_add_test(tc, neighbours_parse);
	tcase_add_test(tc, attributes_are_bounds_checked);
	tcase_add_test(tc, netlink_messages_are_bounds_checked);
	suite_add_tcase(su, tc);
	return su;
}
