/*
 * The load generator of bench/daemon.py: sends every message once, over
 * CONCURRENCY threads, each message on a connection of its own, and prints
 * the elapsed seconds, then each request's latency in seconds, a line each.
 *
 *   loadgen spamd|rspamd PORT CONCURRENCY < FILES
 *
 * FILES names the messages, a path a line (read from standard input, so
 * a corpus of any size fits).
 * spamd: `PROCESS SPAMC/1.5` with Content-length, the sending side shut
 * down after the message (as spamc does); the reply must start with
 * "SPAMD/1.1 0 EX_OK". rspamd: `POST /checkv2` over HTTP/1.1 with
 * Connection: close (rspamd answers nothing to a client that half-closes);
 * the reply must start with "HTTP/1.1 200". Any other reply, or a
 * connection error, stops the run with exit status 1.
 *
 * Written in C so the client costs the shared cores little: Python's
 * threads took 0.2 ms of CPU a message for spamd's protocol and up to 0.8
 * for rspamd's, a tenth or more of what the fastest daemon takes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct request {
    char *bytes;
    size_t length;
};

static struct request *requests;
static double *latencies;
static int count;
static int port;
static int spamd;
static atomic_int next_index;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what, int n) {
    fprintf(stderr, "loadgen: message %d: %s\n", n, what);
    exit(1);
}

static void *allocate(void *old, size_t size) {
    void *p = realloc(old, size);
    if (!p) { fprintf(stderr, "loadgen: out of memory\n"); exit(1); }
    return p;
}

static char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    size_t size = 0, room = 65536;
    char *data = allocate(NULL, room);
    size_t got;
    while ((got = fread(data + size, 1, room - size, f)) > 0) {
        size += got;
        if (size == room) { room *= 2; data = allocate(data, room); }
    }
    if (ferror(f)) { perror(path); exit(1); }
    fclose(f);
    *length = size;
    return data;
}

static void build(int n, const char *path) {
    size_t length;
    char *message = read_file(path, &length);
    char head[256];
    int h = spamd
        ? snprintf(head, sizeof head, "PROCESS SPAMC/1.5\r\nContent-length: %zu\r\n\r\n", length)
        : snprintf(head, sizeof head, "POST /checkv2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n", length);
    requests[n].length = h + length;
    requests[n].bytes = allocate(NULL, requests[n].length);
    memcpy(requests[n].bytes, head, h);
    memcpy(requests[n].bytes + h, message, length);
    free(message);
}

static void exchange(int n, char *reply, size_t room) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) fail("socket", n);
    struct timeval timeout = {120, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&address, sizeof address) != 0) fail(strerror(errno), n);
    for (size_t sent = 0; sent < requests[n].length;) {
        ssize_t w = send(s, requests[n].bytes + sent, requests[n].length - sent, MSG_NOSIGNAL);
        if (w < 0) fail(strerror(errno), n);
        if (w == 0) fail("the connection took no more bytes", n);
        sent += w;
    }
    if (spamd) shutdown(s, SHUT_WR);
    size_t got = 0;
    static _Thread_local char rest[65536];
    for (;;) {
        // Only the start of the reply is kept; the rest is read and dropped.
        ssize_t r = got < room ? recv(s, reply + got, room - got, 0) : recv(s, rest, sizeof rest, 0);
        if (r < 0) fail(strerror(errno), n);
        if (r == 0) break;
        got += r;
    }
    close(s);
    const char *expected = spamd ? "SPAMD/1.1 0 EX_OK" : "HTTP/1.1 200";
    size_t e = strlen(expected);
    if (got < e || memcmp(reply, expected, e) != 0) {
        char shown[201];
        size_t k = got < 200 ? got : 200;
        memcpy(shown, reply, k);
        shown[k] = 0;
        fail(shown, n);
    }
}

static void *worker(void *unused) {
    (void)unused;
    static _Thread_local char reply[65536];
    for (;;) {
        int n = atomic_fetch_add(&next_index, 1);
        if (n >= count) return NULL;
        double start = now();
        exchange(n, reply, sizeof reply);
        latencies[n] = now() - start;
    }
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[1], "spamd") != 0 && strcmp(argv[1], "rspamd") != 0)) {
        fprintf(stderr, "usage: loadgen spamd|rspamd PORT CONCURRENCY < FILES\n");
        return 2;
    }
    spamd = strcmp(argv[1], "spamd") == 0;
    port = atoi(argv[2]);
    int concurrency = atoi(argv[3]);
    if (port <= 0 || port > 65535 || concurrency <= 0 || concurrency > 256) {
        fprintf(stderr, "loadgen: bad port or concurrency\n");
        return 2;
    }
    char *line = NULL;
    size_t line_room = 0;
    ssize_t line_length;
    int room = 0;
    while ((line_length = getline(&line, &line_room, stdin)) > 0) {
        while (line_length > 0 && (line[line_length - 1] == '\n' || line[line_length - 1] == '\r')) line[--line_length] = 0;
        if (line_length == 0) continue;
        if (count == room) {
            room = room ? room * 2 : 1024;
            requests = allocate(requests, room * sizeof *requests);
        }
        build(count++, line);
    }
    free(line);
    if (count == 0) {
        fprintf(stderr, "loadgen: no files named on standard input\n");
        return 2;
    }
    latencies = allocate(NULL, count * sizeof *latencies);
    pthread_t threads[256];
    double start = now();
    for (int t = 0; t < concurrency; t++) {
        if (pthread_create(&threads[t], NULL, worker, NULL) != 0) {
            fprintf(stderr, "loadgen: cannot start a thread\n");
            exit(1);
        }
    }
    for (int t = 0; t < concurrency; t++) pthread_join(threads[t], NULL);
    printf("%.6f\n", now() - start);
    for (int n = 0; n < count; n++) printf("%.6f\n", latencies[n]);
    return 0;
}
