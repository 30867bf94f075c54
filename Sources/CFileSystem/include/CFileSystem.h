// What the state-file writer needs to know of a file system that Swift's Glibc module
// does not export (<sys/vfs.h> is not part of it).
#ifndef GWS_CFILESYSTEM_H
#define GWS_CFILESYSTEM_H

/// 1 when the descriptor's file system keeps its files in memory only (tmpfs, ramfs:
/// nothing there outlives a reboot, so fsync cannot make a file more durable), 0 when
/// it does not, -1 with errno set when fstatfs fails.
int gws_fd_on_memory_filesystem(int fd);

#endif
