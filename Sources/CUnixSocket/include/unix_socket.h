#ifndef GWS_UNIX_SOCKET_H
#define GWS_UNIX_SOCKET_H

#include <sys/types.h>

/// The calls of the control socket's thread that need _GNU_SOURCE, which Swift's Glibc module does
/// not define: this shim does.

/// The process id, user id and group id of the peer of a connected AF_UNIX socket
/// (SO_PEERCRED). Returns 0, or -1 with errno set.
int gws_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/// The supplementary groups of the peer of a connected AF_UNIX socket (SO_PEERGROUPS, Linux
/// 4.13+): up to `capacity` of them into `groups`. Returns how many the peer has (which may be
/// more than `capacity`), or -1 with errno set.
int gws_peer_groups(int fd, gid_t *groups, int capacity);

/// accept4(2) with SOCK_CLOEXEC | SOCK_NONBLOCK; the new descriptor, or -1 with errno set.
int gws_accept_nonblocking(int fd);

/// pipe2(2) with O_CLOEXEC | O_NONBLOCK. Returns 0, or -1 with errno set.
int gws_pipe_nonblocking(int fds[2]);

/// Names the calling thread (at most 15 bytes are kept), as `top -H` shows it.
void gws_name_current_thread(const char *name);

#endif
