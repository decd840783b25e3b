/* test_io_users.c — user attributes (src/io/catalog.c): ml-100k u.user and
 * ml-1m users.dat rows give each user's age, gender and occupation; bad rows
 * are counted with file:line and the field (and fail a strict import); the
 * attributes survive the .mfd file (section 16, flag bit 2), a file whose
 * attributes are out of range is refused, and a data set without them has
 * none. */
#include "test.h"
#include "core/core.h"
#include "data/dataset_impl.h"

#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define FLAGS19 "|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"

/* Three rated users (1, 2, 3); u.user lists a fourth without ratings. */
static const char *dir_100k(const char *users) {
    const char *dir = temp_dir();
    assert_non_null(dir);
    put(dir, "u.data", "1\t10\t4\t881250949\n2\t10\t3\t881250950\n3\t11\t5\t881250951\n1\t11\t2\t881250952\n");
    put(dir, "u.item", "10|Toy Story (1995)|01-Jan-1995||http://x" FLAGS19
                       "11|GoldenEye (1995)|01-Jan-1995||http://y" FLAGS19);
    put(dir, "u.user", users);
    return dir;
}

static mfr_dataset *import_dir(const char *dir, int strict, mfr_status want, mfr_error *err) {
    mfr_import_params ip = mfr_import_params_default();
    ip.strict = strict;
    mfr_dataset *ds = NULL;
    mfr_status st = mfr_dataset_import(dir, &ip, &ds, err);
    if (st != want) print_error("import: %s\n", err->message);
    assert_int_equal(st, want);
    return ds;
}

static int32_t uidx(const mfr_dataset *ds, int64_t id) { return mfr__idmap_get(&ds->user_map, id); }

static void users_100k_read(void **state) {
    (void)state;
    mfr_error err;
    const char *dir = dir_100k("1|24|M|technician|85711\n2|53|F|other|94043\n"
                               "4|33|F|writer|15213\n3|23|M|writer|32067\n");
    mfr_dataset *ds = import_dir(dir, 1, MFR_OK, &err);
    assert_non_null(ds->user_age);
    int32_t a = uidx(ds, 1), b = uidx(ds, 2), c = uidx(ds, 3);
    assert_int_equal(ds->user_age[a], 24);
    assert_int_equal(ds->user_gender[a], 'M');
    assert_int_equal(ds->user_occ[a], 19); /* technician: u.occupation's 20th */
    assert_int_equal(ds->user_age[b], 53);
    assert_int_equal(ds->user_gender[b], 'F');
    assert_int_equal(ds->user_occ[b], 13); /* other */
    assert_int_equal(ds->user_occ[c], 20); /* writer */
    assert_int_equal(ds->n_users, 3);      /* user 4 has no ratings: skipped */
    assert_int_equal(mfr_dataset_report(ds)->catalog_bad, 0);
    mfr_dataset_free(ds);
}

static void users_100k_bad_rows(void **state) {
    (void)state;
    mfr_error err;
    const char *text = "1|24|M|technician|85711\n"
                       "2|53|X|other|94043\n"        /* line 2: gender */
                       "3|abc|M|writer|32067\n"      /* line 3: age */
                       "3|0|M|writer|32067\n"        /* line 4: age out of range */
                       "3|23|M|astronaut|32067\n"    /* line 5: occupation */
                       "3|23|M|writer\n"             /* line 6: fields */
                       "1|25|F|artist|85711\n";      /* line 7: twice */
    mfr_dataset *ds = import_dir(dir_100k(text), 0, MFR_OK, &err);
    const mfr_import_report *r = mfr_dataset_report(ds);
    assert_int_equal(r->catalog_bad, 6);
    static const char *const want[6] = {"u.user:2: gender \"X\" is not M or F",
                                        "u.user:3: age \"abc\" is not a number in 1..120",
                                        "u.user:4: age \"0\"",
                                        "u.user:5: occupation \"astronaut\" is not one of u.occupation's",
                                        "u.user:6: expected 5 fields",
                                        "u.user:7: user 1 listed twice"};
    for (int k = 0; k < 6; k++) {
        int found = 0;
        for (int32_t j = 0; j < r->n_messages; j++) found |= strstr(mfr_dataset_message(ds, j), want[k]) != NULL;
        if (!found) fail_msg("no message \"%s\"", want[k]);
    }
    int32_t a = uidx(ds, 1), b = uidx(ds, 2), c = uidx(ds, 3);
    assert_int_equal(ds->user_age[a], 24);      /* the first row stays */
    assert_int_equal(ds->user_gender[b], 0);    /* no good row: unknown */
    assert_int_equal(ds->user_occ[b], -1);
    assert_int_equal(ds->user_age[c], 0);
    mfr_dataset_free(ds);
    /* strict: the first bad row fails the import, naming it */
    assert_null(import_dir(dir_100k(text), 1, MFR_E_PARSE, &err));
    assert_non_null(strstr(err.message, "u.user:2"));
}

static void users_1m_read(void **state) {
    (void)state;
    mfr_error err;
    const char *dir = temp_dir();
    put(dir, "ratings.dat", "1::1193::5::978300760\n2::1193::4::978300761\n3::661::3::978300762\n");
    put(dir, "movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
                           "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n");
    put(dir, "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::21::55117\n");
    mfr_dataset *ds = import_dir(dir, 0, MFR_OK, &err);
    int32_t a = uidx(ds, 1), b = uidx(ds, 2), c = uidx(ds, 3);
    assert_int_equal(ds->user_age[a], 1);
    assert_int_equal(ds->user_gender[a], 'F');
    assert_int_equal(ds->user_occ[a], 10);
    assert_int_equal(ds->user_age[b], 56);
    assert_int_equal(ds->user_occ[b], 16);
    assert_int_equal(ds->user_occ[c], -1); /* code 21: a bad row */
    assert_int_equal(mfr_dataset_report(ds)->catalog_bad, 1);
    assert_non_null(strstr(mfr_dataset_message(ds, 0), "users.dat:3: occupation \"21\" is not a code 0..20"));
    mfr_dataset_free(ds);
}

static void users_mfd_roundtrip(void **state) {
    (void)state;
    mfr_error err;
    const char *dir = dir_100k("1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n");
    mfr_dataset *ds = import_dir(dir, 1, MFR_OK, &err);
    char path[512];
    snprintf(path, sizeof path, "%s/d.mfd", dir);
    assert_int_equal(mfr_dataset_save(ds, path, &err), MFR_OK);
    mfr_dataset *l = import_dir(path, 1, MFR_OK, &err);
    assert_non_null(l->user_age);
    assert_memory_equal(l->user_age, ds->user_age, 2 * (size_t)ds->n_users);
    assert_memory_equal(l->user_occ, ds->user_occ, 2 * (size_t)ds->n_users);
    assert_memory_equal(l->user_gender, ds->user_gender, (size_t)ds->n_users);
    mfr_dataset_free(l);
    /* a gender byte that is not M/F/0, checksums fixed: refused */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)len);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    uint64_t off;
    memcpy(&off, b + 336, 8);
    assert_true(off >= 384 && off + 5 * (uint64_t)ds->n_users <= (uint64_t)len);
    b[off + 4 * (uint64_t)ds->n_users] = 'X';
    fix_mfd_crcs(b, len);
    f = fopen(path, "wb");
    fwrite(b, 1, (size_t)len, f);
    fclose(f);
    assert_null(import_dir(path, 1, MFR_E_FORMAT, &err));
    assert_non_null(strstr(err.message, "user attribute out of range"));
    /* a length that is not 5 bytes a user: refused */
    b[off + 4 * (uint64_t)ds->n_users] = 'M';
    uint64_t bad = 5 * (uint64_t)ds->n_users + 1;
    memcpy(b + 344, &bad, 8);
    fix_mfd_crcs(b, len);
    f = fopen(path, "wb");
    fwrite(b, 1, (size_t)len, f);
    fclose(f);
    assert_null(import_dir(path, 1, MFR_E_FORMAT, &err));
    assert_non_null(strstr(err.message, "section users"));
    free(b);
    mfr_dataset_free(ds);
}

/* ml-latest-small's layout has no user file: no attributes, none saved. */
static void users_absent(void **state) {
    (void)state;
    mfr_error err;
    const char *dir = temp_dir();
    put(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,1,3.5,964982704\n");
    put(dir, "movies.csv", "movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n");
    mfr_dataset *ds = import_dir(dir, 1, MFR_OK, &err);
    assert_null(ds->user_age);
    char path[512];
    snprintf(path, sizeof path, "%s/d.mfd", dir);
    assert_int_equal(mfr_dataset_save(ds, path, &err), MFR_OK);
    mfr_dataset *l = import_dir(path, 1, MFR_OK, &err);
    assert_null(l->user_age);
    mfr_dataset_free(l), mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(users_100k_read),     cmocka_unit_test(users_100k_bad_rows),
        cmocka_unit_test(users_1m_read),       cmocka_unit_test(users_mfd_roundtrip),
        cmocka_unit_test(users_absent),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
