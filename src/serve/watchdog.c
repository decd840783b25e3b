/* watchdog.c — the request deadline (server_impl.h). libmicrohttpd's idle
 * timeout restarts with every byte, so a client trickling one header line
 * every few seconds holds its connection (and, with a thousand of them,
 * every slot) for ever. Here every connection is tracked from its start
 * (MHD_OPTION_NOTIFY_CONNECTION) and again from the end of each answer; when
 * the access handler has not been handed a whole request within
 * head_timeout_s, one thread shuts the socket down (shutdown(2): the
 * connection's own thread then reads end-of-file and closes it). The list is
 * under one mutex; libmicrohttpd calls the "closed" notification before it
 * closes the descriptor, so the thread never touches a reused one. */
#include <sys/socket.h>
#include <time.h>

#include "server_impl.h"

struct mfr__conn {
    mfr__conn *prev, *next;
    int fd;
    int cut;                 /* shut down already */
    atomic_llong since_us;   /* waiting for a request since (monotonic µs + 1); 0: none */
};

struct mfr__watchdog {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int stop;
    pthread_t thread;
    double timeout;
    mfr__conn *head;
    atomic_llong cuts;
};

static long long now_us(void) {
    return (long long)(mfr__now() * 1e6) + 1;
}

static void *watch(void *arg) {
    mfr__watchdog *w = arg;
    double tick = w->timeout / 4 < 0.25 ? w->timeout / 4 : 0.25;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = ts.tv_nsec + (long long)(tick * 1e9);
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&w->wake, &w->mu, &ts);
        long long now = now_us(), limit = (long long)(w->timeout * 1e6);
        for (mfr__conn *c = w->head; c && !w->stop; c = c->next) {
            long long since = atomic_load(&c->since_us);
            if (!since || c->cut || now - since <= limit) continue;
            shutdown(c->fd, SHUT_RDWR);
            c->cut = 1;
            atomic_fetch_add(&w->cuts, 1);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

mfr_status mfr__watchdog_start(mfr_server *s, mfr_error *err) {
    mfr__watchdog *w = mfr__calloc(1, sizeof *w);
    if (!w) return mfr__nomem(err, "the request watchdog");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->timeout = s->p.head_timeout_s;
    if (pthread_create(&w->thread, NULL, watch, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        mfr__free(w);
        return mfr__err(err, MFR_E_INTERNAL, "cannot start the request watchdog thread");
    }
    s->watchdog = w;
    return MFR_OK;
}

void mfr__watchdog_stop(mfr_server *s) {
    mfr__watchdog *w = s->watchdog;
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    /* the daemon is stopped: every connection was closed and unlinked */
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    mfr__free(w);
    s->watchdog = NULL;
}

void mfr__watchdog_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    mfr_server *s = cls;
    mfr__watchdog *w = s->watchdog;
    if (!w) return;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        mfr__conn *t = ci ? mfr__calloc(1, sizeof *t) : NULL;
        *socket_context = t;
        if (!t) return; /* untracked: the idle timeout still applies */
        t->fd = ci->connect_fd;
        atomic_init(&t->since_us, now_us());
        pthread_mutex_lock(&w->mu);
        t->next = w->head;
        if (w->head) w->head->prev = t;
        w->head = t;
        pthread_mutex_unlock(&w->mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        mfr__conn *t = *socket_context;
        if (!t) return;
        pthread_mutex_lock(&w->mu);
        if (t->prev) t->prev->next = t->next;
        else w->head = t->next;
        if (t->next) t->next->prev = t->prev;
        pthread_mutex_unlock(&w->mu);
        mfr__free(t);
        *socket_context = NULL;
    }
}

void mfr__watchdog_head(struct MHD_Connection *c, int complete) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    mfr__conn *t = ci ? ci->socket_context : NULL;
    if (t) atomic_store(&t->since_us, complete ? 0 : now_us());
}

long long mfr__watchdog_cuts(mfr_server *s) {
    return s->watchdog ? atomic_load(&s->watchdog->cuts) : 0;
}
