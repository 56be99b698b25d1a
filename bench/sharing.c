/* Many processes on one store file: what sharing costs, through the C ABI.
 *
 *   make -C bench sharing            (or: bench/build/sharing [-n calls] [-r rounds] [-k keys])
 *
 * 1. Freshness: ns per akms_get_public_key on an unchanged store, for an in-memory store, a
 *    store file with a single opener, and the same file while another process (and a second
 *    opener in this process) has it open. Rounds alternate between the three; each figure is
 *    the median of the rounds. Every call on a store file first compares the shared generation
 *    counter with the one it caught up to: that check is the difference.
 * 2. Catching up: the first akms_get_public_key after another process committed a change
 *    (it reads and applies only the new records).
 * 3. CreateKey (EC_P256) per call with 1 process writing, and with 4 processes writing at once
 *    (each change: records, fdatasync, commit mark, fdatasync, under the file lock).
 *
 * Stores are created under ./sharing-bench.tmp (a real disk: fsync costs what it costs there)
 * with the cheapest KDF. Nothing fails on a number. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "akms.h"

static const uint8_t PASS[] = "sharing bench passphrase";
#define PASS_LEN (sizeof PASS - 1)
static const char *DIR_NAME = "sharing-bench.tmp";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, akms_status st) {
    fprintf(stderr, "%s: %s (%s)\n", what, akms_status_name(st), akms_last_error_message());
    exit(1);
}

static akms_store *open_store(const char *path) {
    akms_store *s = NULL;
    akms_status st = akms_store_open(path, PASS, PASS_LEN, &s);
    if (st != AKMS_OK) die("akms_store_open", st);
    return s;
}

static void make_key(akms_store *s, char **key, char **version) {
    akms_status st = akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL,
                                     key, version);
    if (st != AKMS_OK) die("akms_create_key", st);
}

/* ns per akms_get_public_key over n calls. */
static double get_public_key_ns(akms_store *s, const char *key, const char *version, long n) {
    double t0 = now();
    for (long i = 0; i < n; i++) {
        char *pem = NULL;
        akms_status st = akms_get_public_key(s, key, version, &pem);
        if (st != AKMS_OK) die("akms_get_public_key", st);
        akms_string_free(pem);
    }
    return (now() - t0) * 1e9 / (double)n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A child that opens `path`, then for every byte read from `cmd`: 'c' makes a change (disable
 * then enable `key`) and answers on `ack`; EOF ends it. */
static pid_t helper(const char *path, const char *key, int *to_child, int *from_child) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        akms_store *s = open_store(path);
        char c = 'r';
        if (write(up[1], &c, 1) != 1) _exit(1);
        while (read(down[0], &c, 1) == 1) {
            if (c == 'c') {
                akms_status st = akms_disable_key(s, key);
                if (st == AKMS_OK) st = akms_enable_key(s, key);
                if (st != AKMS_OK) die("helper change", st);
            }
            if (write(up[1], &c, 1) != 1) _exit(1);
        }
        akms_store_free(s);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    char c;
    if (read(up[0], &c, 1) != 1) {
        fprintf(stderr, "helper did not start\n");
        exit(1);
    }
    *to_child = down[1];
    *from_child = up[0];
    return pid;
}

static void ask(int to, int from, char c) {
    if (write(to, &c, 1) != 1 || read(from, &c, 1) != 1) {
        fprintf(stderr, "helper gone\n");
        exit(1);
    }
}

/* CreateKey from `procs` processes at once, `per` keys each: mean ms per call (per process)
 * and total calls per second. */
static void create_keys(const char *path, int procs, int per, double *ms_per_call,
                        double *per_second) {
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pids[16];
    int results[16][2];
    for (int p = 0; p < procs; p++) {
        if (pipe(results[p]) != 0) {
            perror("pipe");
            exit(1);
        }
        pids[p] = fork();
        if (pids[p] == 0) {
            akms_store *s = open_store(path);
            char c = 'r';
            if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) _exit(1);
            double t0 = now();
            for (int i = 0; i < per; i++) {
                char *k = NULL, *v = NULL;
                make_key(s, &k, &v);
                akms_string_free(k);
                akms_string_free(v);
            }
            double took = now() - t0;
            if (write(results[p][1], &took, sizeof took) != sizeof took) _exit(1);
            akms_store_free(s);
            _exit(0);
        }
    }
    char c;
    for (int p = 0; p < procs; p++)
        if (read(ready[0], &c, 1) != 1) exit(1);
    double t0 = now();
    for (int p = 0; p < procs; p++)
        if (write(go[1], "g", 1) != 1) exit(1);
    double sum = 0;
    for (int p = 0; p < procs; p++) {
        double took;
        if (read(results[p][0], &took, sizeof took) != sizeof took) exit(1);
        sum += took;
        waitpid(pids[p], NULL, 0);
        close(results[p][0]);
        close(results[p][1]);
    }
    double wall = now() - t0;
    *ms_per_call = sum / procs / per * 1e3;
    *per_second = procs * per / wall;
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}

int main(int argc, char **argv) {
    long n = 200000;
    int rounds = 9, per = 100;
    int opt;
    while ((opt = getopt(argc, argv, "n:r:k:")) != -1) {
        switch (opt) {
        case 'n': n = atol(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 'k': per = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s [-n calls] [-r rounds] [-k keys per process]\n", argv[0]);
            return 2;
        }
    }
    if (rounds > 64) rounds = 64;
    setenv("AKMS_KDF_PARAMS", "m=8,t=1,p=1", 1);
    if (mkdir(DIR_NAME, 0700) != 0 && errno != EEXIST) {
        perror(DIR_NAME);
        return 1;
    }
    char single[256], shared[256], writes[256];
    snprintf(single, sizeof single, "%s/single.akms", DIR_NAME);
    snprintf(shared, sizeof shared, "%s/shared.akms", DIR_NAME);
    snprintf(writes, sizeof writes, "%s/writes.akms", DIR_NAME);
    const char *files[] = {single, shared, writes};
    for (int i = 0; i < 3; i++) {
        char lock[300];
        unlink(files[i]);
        snprintf(lock, sizeof lock, "%s.akms-lock", files[i]);
        unlink(lock);
    }

    /* 1. Freshness on an unchanged store. */
    akms_store *mem = NULL;
    akms_status st = akms_store_new(&mem);
    if (st != AKMS_OK) die("akms_store_new", st);
    akms_store *one = open_store(single);
    akms_store *sh = open_store(shared);
    char *mk, *mv, *ok1, *ov1, *sk, *sv;
    make_key(mem, &mk, &mv);
    make_key(one, &ok1, &ov1);
    make_key(sh, &sk, &sv);
    akms_store *sh2 = open_store(shared); /* a second opener in this process */
    int to, from;
    pid_t other = helper(shared, sk, &to, &from); /* and one in another process */
    double m[64], o[64], s[64];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
            switch ((r + k) % 3) {
            case 0: m[r] = get_public_key_ns(mem, mk, mv, n); break;
            case 1: o[r] = get_public_key_ns(one, ok1, ov1, n); break;
            default: s[r] = get_public_key_ns(sh, sk, sv, n); break;
            }
        }
    }
    double mm = median(m, rounds), om = median(o, rounds), sm = median(s, rounds);
    printf("machine: %ld cores; %d rounds of %ld calls; medians\n", sysconf(_SC_NPROCESSORS_ONLN),
           rounds, n);
    printf("\n| akms_get_public_key, unchanged store | ns/call | added vs in-memory |\n");
    printf("|---|---|---|\n");
    printf("| in-memory store (akms_store_new) | %.1f | - |\n", mm);
    printf("| store file, single opener | %.1f | %+.1f |\n", om, om - mm);
    printf("| store file, shared (2 more openers, one in another process) | %.1f | %+.1f |\n", sm,
           sm - mm);
    printf("shared vs single opener: %+.1f ns per call\n", sm - om);

    /* 2. The first call after another process committed a change. */
    double c[200], cc[200], p[200], pc[200];
    int cn = 200;
    for (int i = 0; i < cn; i++) {
        /* The control: the same round trip to the other process, with no change. */
        ask(to, from, 'p');
        double p0 = now(), q0 = cpu_now();
        char *ppem = NULL;
        st = akms_get_public_key(sh, sk, sv, &ppem);
        pc[i] = (cpu_now() - q0) * 1e6;
        p[i] = (now() - p0) * 1e6;
        if (st != AKMS_OK) die("get_public_key after a ping", st);
        akms_string_free(ppem);
        ask(to, from, 'c'); /* two changes committed by the other process */
        double t0 = now(), c0 = cpu_now();
        char *pem = NULL;
        st = akms_get_public_key(sh, sk, sv, &pem);
        cc[i] = (cpu_now() - c0) * 1e6;
        c[i] = (now() - t0) * 1e6;
        if (st != AKMS_OK) die("get_public_key after a change", st);
        akms_string_free(pem);
    }
    printf("\nfirst akms_get_public_key after another process committed 2 changes: %.1f us "
           "wall, %.1f us CPU (medians of %d)\n",
           median(c, cn), median(cc, cn), cn);
    printf("the same after a round trip to that process without a change (control): %.1f us "
           "wall, %.1f us CPU\n",
           median(p, cn), median(pc, cn));
    close(to);
    close(from);
    waitpid(other, NULL, 0);
    akms_store_free(sh2);
    akms_store_free(sh);
    akms_store_free(one);
    akms_store_free(mem);
    akms_string_free(mk);
    akms_string_free(mv);
    akms_string_free(ok1);
    akms_string_free(ov1);
    akms_string_free(sk);
    akms_string_free(sv);

    /* 3. CreateKey with 1 and 4 writers. */
    akms_store_free(open_store(writes));
    double ms1, ps1, ms4, ps4;
    create_keys(writes, 1, per, &ms1, &ps1);
    create_keys(writes, 4, per, &ms4, &ps4);
    printf("\n| CreateKey EC_P256, one store file | ms per call (per process) | calls/s (all) |\n");
    printf("|---|---|---|\n");
    printf("| 1 process writing | %.2f | %.0f |\n", ms1, ps1);
    printf("| 4 processes writing at once | %.2f | %.0f |\n", ms4, ps4);
    return 0;
}
