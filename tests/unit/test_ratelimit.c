/* test_ratelimit.c — the server's per-address token buckets
 * (src/serve/ratelimit.c): addresses that share every bit but one each have
 * their own bucket (the old table kept 12 bits and reset a bucket on every
 * collision, so two addresses alternating were never limited); a full probe
 * window of buckets still refilling refuses a new address instead of
 * resetting one; a refilled bucket's slot is reused; the refill follows the
 * rate; out of memory at creation is reported, not a crash. Time is passed
 * in, so nothing here sleeps. */
#include "test.h"

#include "serve/server_impl.h"

static void v4(unsigned char a[16], unsigned x) {
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = (unsigned char)(x >> 24);
    a[13] = (unsigned char)(x >> 16);
    a[14] = (unsigned char)(x >> 8);
    a[15] = (unsigned char)x;
}

static mfr__limiter *make(double rate, double burst, size_t slots) {
    int oom = 1;
    mfr__limiter *l = mfr__limiter_new(rate, burst, slots, &oom);
    assert_non_null(l);
    assert_int_equal(oom, 0);
    return l;
}

static void alternating_addresses_are_limited(void **state) {
    (void)state;
    mfr__limiter *l = make(1, 5, MFR_LIMIT_SLOTS);
    unsigned char a[16], b[16];
    v4(a, 0x7f000001); /* 127.0.0.1 */
    v4(b, 0x7f000002); /* 127.0.0.2 */
    int ok_a = 0, ok_b = 0;
    for (int i = 0; i < 100; i++) { /* 100 each within 0.1 s */
        ok_a += mfr__limiter_take(l, a, 100 + i * 1e-3);
        ok_b += mfr__limiter_take(l, b, 100 + i * 1e-3 + 5e-4);
    }
    assert_int_equal(ok_a, 5);
    assert_int_equal(ok_b, 5);
    /* one second later each has one token again, not a full bucket */
    assert_int_equal(mfr__limiter_take(l, a, 101.1), 1);
    assert_int_equal(mfr__limiter_take(l, a, 101.1), 0);
    mfr__limiter_free(l);
}

static void many_addresses_each_their_own(void **state) {
    (void)state;
    /* 1000 addresses of one /16 in a table of 4096 slots: every one gets
     * exactly its burst, whatever collides with it */
    mfr__limiter *l = make(1e-9, 3, MFR_LIMIT_SLOTS);
    unsigned char a[16];
    for (int round = 0; round < 5; round++)
        for (unsigned x = 0; x < 1000; x++) {
            v4(a, 0x0a000000u | x * 37);
            assert_int_equal(mfr__limiter_take(l, a, 10 + round), round < 3);
        }
    mfr__limiter_free(l);
}

static void full_window_refuses_never_resets(void **state) {
    (void)state;
    /* 64 slots (the minimum table) all holding buckets still refilling: a
     * new address is refused, and every old bucket keeps its level */
    mfr__limiter *l = make(1e-6, 2, 1);
    unsigned char a[16];
    for (unsigned x = 0; x < 64; x++) {
        v4(a, x + 1);
        assert_int_equal(mfr__limiter_take(l, a, 1), 1);
    }
    v4(a, 999);
    assert_int_equal(mfr__limiter_take(l, a, 1), 0);
    for (unsigned x = 0; x < 64; x++) {
        v4(a, x + 1);
        assert_int_equal(mfr__limiter_take(l, a, 1), 1); /* the second token */
        assert_int_equal(mfr__limiter_take(l, a, 1), 0); /* and no reset */
    }
    /* once the buckets have refilled, their slots take new addresses */
    v4(a, 999);
    assert_int_equal(mfr__limiter_take(l, a, 1 + 3e6), 1);
    mfr__limiter_free(l);
}

static void disabled_and_oom(void **state) {
    (void)state;
    int oom = 1;
    assert_null(mfr__limiter_new(0, 10, 64, &oom));
    assert_int_equal(oom, 0);
    unsigned char a[16] = {0};
    assert_int_equal(mfr__limiter_take(NULL, a, 0), 1); /* no limit */
    for (long n = 0; n < 2; n++) {
        mfr__alloc_fail_after(n);
        mfr__limiter *l = mfr__limiter_new(1, 1, 64, &oom);
        mfr__alloc_fail_after(-1);
        assert_null(l);
        assert_int_equal(oom, 1);
    }
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alternating_addresses_are_limited),
        cmocka_unit_test(many_addresses_each_their_own),
        cmocka_unit_test(full_window_refuses_never_resets),
        cmocka_unit_test(disabled_and_oom),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
