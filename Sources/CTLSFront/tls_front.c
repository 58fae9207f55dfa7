#define _GNU_SOURCE
#include "tls_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { MAX_CONNECTIONS = 256, BUFFER_SIZE = 16384, HANDSHAKE_SECONDS = 10, SEND_SECONDS = 60 };

struct front {
    SSL_CTX *context;
    int listener;
    unsigned short backend_port;
    atomic_int connections;
};

struct connection {
    struct front *front;
    int client;
};

static void openssl_error(const char *what, char *error, size_t error_size) {
    char detail[256] = "";
    ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
    snprintf(error, error_size, "%s: %s", what, detail);
}

static void set_timeout(int fd, int option, int seconds) {
    struct timeval timeout = {.tv_sec = seconds, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, option, &timeout, sizeof timeout);
}

static int connect_backend(unsigned short port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_timeout(fd, SO_SNDTIMEO, SEND_SECONDS);
    return fd;
}

static int write_all(int fd, const char *bytes, int count) {
    while (count > 0) {
        ssize_t written = write(fd, bytes, (size_t)count);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return -1;
        bytes += written;
        count -= (int)written;
    }
    return 0;
}

/// Relays bytes both ways until either side closes; returns whether the TLS session may still be shut down
/// cleanly (OpenSSL forbids SSL_shutdown after a fatal error).
static int relay(SSL *tls, int client, int backend) {
    char buffer[BUFFER_SIZE];
    for (;;) {
        if (SSL_pending(tls) == 0) {
            struct pollfd fds[2] = {{.fd = client, .events = POLLIN}, {.fd = backend, .events = POLLIN}};
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                return 1;
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t count = read(backend, buffer, sizeof buffer);
                if (count <= 0) return 1;
                if (SSL_write(tls, buffer, (int)count) <= 0) return 0;
                continue;
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        }
        int count = SSL_read(tls, buffer, sizeof buffer);
        if (count <= 0) {
            int reason = SSL_get_error(tls, count);
            if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) continue;
            return reason == SSL_ERROR_ZERO_RETURN;
        }
        if (write_all(backend, buffer, count) != 0) return 1;
    }
}

static void *serve(void *argument) {
    struct connection *connection = argument;
    struct front *front = connection->front;
    int client = connection->client;
    free(connection);
    SSL *tls = SSL_new(front->context);
    if (tls) {
        set_timeout(client, SO_RCVTIMEO, HANDSHAKE_SECONDS);
        set_timeout(client, SO_SNDTIMEO, SEND_SECONDS);
        SSL_set_fd(tls, client);
        if (SSL_accept(tls) == 1) {
            set_timeout(client, SO_RCVTIMEO, 0);
            int backend = connect_backend(front->backend_port);
            int clean = 1;
            if (backend >= 0) {
                clean = relay(tls, client, backend);
                close(backend);
            }
            if (clean) SSL_shutdown(tls);
        }
        SSL_free(tls);
    }
    close(client);
    atomic_fetch_sub(&front->connections, 1);
    ERR_clear_error();
    return NULL;
}

static void *accept_loop(void *argument) {
    struct front *front = argument;
    for (;;) {
        int client = accept4(front->listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK) {
                fprintf(stderr, "tls front: stops accepting connections: %s\n", strerror(errno));
                return NULL;
            }
            if (errno != EINTR && errno != ECONNABORTED) usleep(100000);
            continue;
        }
        if (atomic_fetch_add(&front->connections, 1) >= MAX_CONNECTIONS) {
            atomic_fetch_sub(&front->connections, 1);
            close(client);
            continue;
        }
        int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *connection = malloc(sizeof *connection);
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (!connection) {
            close(client);
            atomic_fetch_sub(&front->connections, 1);
        } else {
            connection->front = front;
            connection->client = client;
            if (pthread_create(&thread, &attributes, serve, connection) != 0) {
                free(connection);
                close(client);
                atomic_fetch_sub(&front->connections, 1);
            }
        }
        pthread_attr_destroy(&attributes);
    }
}

int sopd_tls_front_start(const char *cert_path, const char *key_path, const char *host, unsigned short port,
                         unsigned short backend_port, char *error, size_t error_size) {
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *context = SSL_CTX_new(TLS_server_method());
    if (!context) {
        openssl_error("cannot create a TLS context", error, error_size);
        return -1;
    }
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(context, cert_path) != 1) {
        openssl_error("cannot read the certificate chain", error, error_size);
        SSL_CTX_free(context);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(context, key_path, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(context) != 1) {
        openssl_error("cannot use the private key", error, error_size);
        SSL_CTX_free(context);
        return -1;
    }
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (listener >= 0) setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        snprintf(error, error_size, "%s is not an IPv4 address", host);
        if (listener >= 0) close(listener);
        SSL_CTX_free(context);
        return -1;
    }
    socklen_t length = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 128) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        snprintf(error, error_size, "cannot listen on %s:%u: %s", host, port, strerror(errno));
        if (listener >= 0) close(listener);
        SSL_CTX_free(context);
        return -1;
    }
    struct front *front = calloc(1, sizeof *front);
    if (!front) {
        snprintf(error, error_size, "out of memory");
        close(listener);
        SSL_CTX_free(context);
        return -1;
    }
    front->context = context;
    front->listener = listener;
    front->backend_port = backend_port;
    atomic_init(&front->connections, 0);
    pthread_t thread;
    if (pthread_create(&thread, NULL, accept_loop, front) != 0) {
        snprintf(error, error_size, "cannot start the TLS front's thread");
        close(listener);
        SSL_CTX_free(context);
        free(front);
        return -1;
    }
    pthread_detach(thread);
    return ntohs(address.sin_port);
}
