/* bench_import.c — import throughput and peak memory on an ml-25m-shaped
 * ratings.csv.
 *
 *   bench_import [-n ROWS] [-k] [-m] [PATH]
 *
 * Without PATH it writes (deterministically, xorshift64 seeded with a
 * constant) a ratings.csv of ROWS rows (default 25,000,095 like ml-25m:
 * 162,541 users, sparse movie ids up to 209,171 sorted within each user, half
 * stars, 10-digit timestamps, CRLF-free LF lines) into a fresh temporary
 * folder, imports it once with mfr_dataset_import, prints the file size,
 * wall time, MB/s, rows/s and the process's peak RSS (getrusage ru_maxrss,
 * which does not include the page cache: the reader uses read(), not mmap),
 * and the CPU time (user + sys) the import took, which is the fairer speed
 * figure on a shared, loaded machine,
 * then deletes the folder (-k keeps it). With PATH it imports that file or
 * folder instead. The generator writes through a small buffer, so the peak
 * RSS is the importer's. With -m it also saves the dataset as .mfd next to
 * the CSV (or in /tmp for a given PATH) and times loading it back (one read plus
 * checksum and index checks), then deletes it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mfrec.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Append the decimal digits of v to p; returns the new end. */
static char *put_u(char *p, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* Write ROWS rows; returns 0 or -1 (errno). */
static int generate(const char *path, int64_t rows) {
    const int64_t users = rows < 162541 ? (rows + 1) / 2 : 162541;
    const int64_t max_movie = 209171;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    static char buf[1 << 20];
    char *p = buf;
    p += sprintf(p, "userId,movieId,rating,timestamp\n");
    int64_t done = 0;
    for (int64_t u = 1; u <= users && done < rows; u++) {
        int64_t left_users = users - u + 1, left = rows - done;
        int64_t k = u == users ? left : left / left_users;
        if (k > 1 && u < users)
            k = k / 2 + (int64_t)(next_u64() % (uint64_t)k); /* vary, mean kept */
        if (k > left) k = left;
        if (k > max_movie) k = max_movie;
        if (k < 1) k = 1;
        uint64_t gap = (uint64_t)(max_movie / k);
        int64_t m = 0;
        for (int64_t j = 0; j < k; j++) {
            m += 1 + (int64_t)(next_u64() % (gap > 1 ? gap : 1));
            if (m > max_movie + j) m = max_movie + j;
            int stars = 1 + (int)(next_u64() % 10);
            p = put_u(p, (uint64_t)u);
            *p++ = ',';
            p = put_u(p, (uint64_t)m);
            *p++ = ',';
            *p++ = (char)('0' + stars / 2);
            *p++ = '.';
            *p++ = stars % 2 ? '5' : '0';
            *p++ = ',';
            p = put_u(p, 1000000000u + next_u64() % 600000000u);
            *p++ = '\n';
            if (p - buf > (long)sizeof buf - 128) {
                if (write(fd, buf, (size_t)(p - buf)) != p - buf) {
                    close(fd);
                    return -1;
                }
                p = buf;
            }
        }
        done += k;
    }
    if (write(fd, buf, (size_t)(p - buf)) != p - buf) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* Save ds as .mfd in dir (or /tmp), time the save and a load, delete it. */
static void time_mfd(const mfr_dataset *ds, const char *dir) {
    char p[400];
    snprintf(p, sizeof p, "%s/bench-%d.mfd", dir ? dir : "/tmp", (int)getpid());
    mfr_error err = {0};
    double t0 = now_s();
    if (mfr_dataset_save(ds, p, &err)) {
        fprintf(stderr, "save failed: %s\n", err.message);
        return;
    }
    double t1 = now_s();
    mfr_dataset *back = NULL;
    if (mfr_dataset_import(p, NULL, &back, &err)) {
        fprintf(stderr, "load failed: %s\n", err.message);
    } else {
        double t2 = now_s();
        struct stat sb;
        stat(p, &sb);
        printf("mfd         %.1f MB, save %.2f s, load %.2f s (read, CRC, index checks, id maps)\n",
               (double)sb.st_size / 1e6, t1 - t0, t2 - t1);
        mfr_dataset_free(back);
    }
    unlink(p);
}

int main(int argc, char **argv) {
    int64_t rows = 25000095;
    int keep = 0, mfd = 0;
    const char *path = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-n") == 0 && a + 1 < argc)
            rows = strtoll(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "-k") == 0)
            keep = 1;
        else if (strcmp(argv[a], "-m") == 0)
            mfd = 1;
        else if (argv[a][0] == '-') {
            fprintf(stderr, "usage: bench_import [-n ROWS] [-k] [-m] [PATH]\n");
            return 2;
        } else
            path = argv[a];
    }
    char dir[256], file[300];
    if (!path) {
        snprintf(dir, sizeof dir, "%s/mfrec-bench-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(file, sizeof file, "%s/ratings.csv", dir);
        double g0 = now_s();
        if (generate(file, rows)) {
            perror(file);
            return 1;
        }
        printf("generated %" PRId64 " rows in %.1f s: %s\n", rows, now_s() - g0, file);
        path = file;
    }
    struct stat sb;
    double mb = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (double)sb.st_size / 1e6 : 0.0;
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    struct rusage ru0, ru;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now_s();
    mfr_status rc = mfr_dataset_import(path, NULL, &ds, &err);
    double dt = now_s() - t0;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 1e-6 * (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru.ru_stime.tv_usec -
                                 ru0.ru_stime.tv_usec);
    if (rc != MFR_OK) {
        fprintf(stderr, "import failed: %s\n", err.message);
        return 1;
    }
    const mfr_import_report *r = mfr_dataset_report(ds);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    printf("file        %.1f MB\n", mb);
    printf("rows        %" PRId64 " read, %" PRId64 " kept, %" PRId64
           " duplicates, %d users, %d items\n",
           r->rows_read, r->rows_kept, r->duplicates, st.n_users, st.n_items);
    printf("import      %.2f s wall, %.2f s CPU (user+sys; one thread)\n", dt, cpu);
    if (mb > 0) printf("throughput  %.1f MB/s wall, %.1f MB/s per CPU second\n", mb / dt, mb / cpu);
    printf("rows/s      %.2f M\n", (double)r->rows_read / dt / 1e6);
    printf("peak RSS    %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    if (mfd) time_mfd(ds, path == file ? dir : NULL);
    mfr_dataset_free(ds);
    if (path == file && !keep) {
        unlink(file);
        rmdir(dir);
    }
    return 0;
}
