#ifndef SOPD_TLS_FRONT_H
#define SOPD_TLS_FRONT_H

#include <stddef.h>

/// Starts a TLS front on the IPv4 address `host`:`port` (0 picks a free port) that terminates TLS with the PEM
/// certificate chain `cert_path` and key `key_path`, and relays each connection's bytes to and from
/// 127.0.0.1:`backend_port`, one thread per connection, at most 256 at once.
/// Returns the port it listens on, or -1 with a message in `error` (`error_size` bytes at most).
int sopd_tls_front_start(const char *cert_path, const char *key_path, const char *host, unsigned short port,
                         unsigned short backend_port, char *error, size_t error_size);

#endif
